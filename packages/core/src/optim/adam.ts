import * as tf from '@tensorflow/tfjs-core';
import {
  checkNumber,
  Optimizer,
  type OptimizerOptionsRecord,
  type ParamState,
  type Params,
} from './optimizer.js';

export interface AdamOptions {
  /** Learning rate, ≥ 0. Default 1e-3. */
  lr?: number;
  /** Coefficients of the running averages of the gradient and its square, each in [0, 1). Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay factor (default 1e-2). */
  weightDecay?: number;
  /** The AMSGrad variant (the running maximum of the second moment). Default false. */
  amsgrad?: boolean;
  /** Maximize the objective. Default false. */
  maximize?: boolean;
}

/**
 * Adam, PyTorch 1.13's `torch.optim.Adam` (single-tensor path), per parameter p with gradient g:
 *
 *     t ← t + 1;  g ← −g if maximize;  g ← g + weightDecay·p
 *     m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²;   v̂max ← max(v̂max, v) (amsgrad)
 *     p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)        (√v̂max with amsgrad)
 *
 * Bias corrections are computed in float64 as torch does with Python floats. The step count t is kept per
 * parameter (a parameter skipped for lack of a gradient does not advance). State per parameter: `step`,
 * `expAvg`, `expAvgSq`, and `maxExpAvgSq` with amsgrad.
 */
export class Adam extends Optimizer {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;

  constructor(params: Params, options: AdamOptions = {}, typeName = 'Adam', defaultWeightDecay = 0) {
    super(typeName, params, options?.lr ?? 1e-3);
    const {
      betas = [0.9, 0.999],
      eps = 1e-8,
      weightDecay = defaultWeightDecay,
      amsgrad = false,
      maximize = false,
    } = options;
    this.betas = Array.isArray(betas) ? [betas[0], betas[1]] : betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.amsgrad = amsgrad;
    this.maximize = maximize;
    this.validate(typeName);
  }

  private validate(fn: string): void {
    if (!Array.isArray(this.betas) || this.betas.length !== 2) {
      throw new TypeError(`${fn}: betas must be [beta1, beta2], got ${JSON.stringify(this.betas)}`);
    }
    checkNumber(fn, 'betas[0]', this.betas[0], 0, 1);
    checkNumber(fn, 'betas[1]', this.betas[1], 0, 1);
    checkNumber(fn, 'eps', this.eps, 0);
    checkNumber(fn, 'weightDecay', this.weightDecay, 0);
    if (typeof this.amsgrad !== 'boolean')
      throw new TypeError(`${fn}: amsgrad must be a boolean, got ${typeof this.amsgrad}`);
    if (typeof this.maximize !== 'boolean')
      throw new TypeError(`${fn}: maximize must be a boolean, got ${typeof this.maximize}`);
  }

  protected hyper(): OptimizerOptionsRecord {
    const { eps, weightDecay, amsgrad, maximize } = this;
    return { betas: [...this.betas], eps, weightDecay, amsgrad, maximize };
  }

  protected setHyper(o: OptimizerOptionsRecord): void {
    const before = this.hyper();
    Object.assign(this, { ...before, ...o });
    try {
      this.validate(`${this.typeName}.loadStateDict`);
      this.betas = [this.betas[0], this.betas[1]];
    } catch (err) {
      Object.assign(this, before);
      throw err;
    }
  }

  protected stateSpec() {
    return { step: 'number', expAvg: 'tensor', expAvgSq: 'tensor', maxExpAvgSq: 'tensor' } as const;
  }

  /** Adam adds the L2 term to the gradient; AdamW overrides this to decay the parameter instead. */
  protected decay(p: tf.Variable, grad: tf.Tensor): tf.Tensor {
    return this.weightDecay !== 0 ? tf.add(grad, tf.mul(p, this.weightDecay)) : grad;
  }

  protected update(p: tf.Variable, grad: tf.Tensor, state: ParamState): void {
    const [beta1, beta2] = this.betas;
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    const g = this.decay(p, this.maximize ? tf.neg(grad) : grad);
    const m = tf.add(
      tf.mul((state.expAvg as tf.Variable | undefined) ?? tf.zerosLike(p), beta1),
      tf.mul(g, 1 - beta1),
    );
    const v = tf.add(
      tf.mul((state.expAvgSq as tf.Variable | undefined) ?? tf.zerosLike(p), beta2),
      tf.mul(tf.mul(g, g), 1 - beta2),
    );
    this.store(state, 'expAvg', m);
    this.store(state, 'expAvgSq', v);
    let second = v;
    if (this.amsgrad) {
      second = tf.maximum((state.maxExpAvgSq as tf.Variable | undefined) ?? tf.zerosLike(p), v);
      this.store(state, 'maxExpAvgSq', second);
    }
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const stepSize = this.lr / biasCorrection1;
    const denom = tf.add(tf.div(tf.sqrt(second), Math.sqrt(biasCorrection2)), this.eps);
    p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
  }

  private store(state: ParamState, name: string, value: tf.Tensor): void {
    const buf = state[name] as tf.Variable | undefined;
    if (buf === undefined) state[name] = this.buffer(value);
    else buf.assign(value);
  }
}
