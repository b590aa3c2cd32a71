import * as tf from '@tensorflow/tfjs-core';
import {
  checkNumber,
  Optimizer,
  type OptimizerOptionsRecord,
  type ParamState,
  type Params,
} from './optimizer.js';

export interface SGDOptions {
  /** Learning rate, ≥ 0. Required (PyTorch has no default either). */
  lr: number;
  /** Momentum factor. Default 0 (plain SGD, no buffer). */
  momentum?: number;
  /** Dampening for momentum. Default 0. */
  dampening?: number;
  /** L2 penalty: `weightDecay·param` is added to the gradient (tfjs-core's SGD has none). Default 0. */
  weightDecay?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0. Default false. */
  nesterov?: boolean;
  /** Maximize the objective (step along +gradient). Default false. */
  maximize?: boolean;
}

/**
 * Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum: PyTorch 1.13's
 * `torch.optim.SGD` update, per parameter p with gradient g:
 *
 *     g ← −g if maximize;  g ← g + weightDecay·p
 *     buf ← g (first step) | momentum·buf + (1 − dampening)·g       (when momentum ≠ 0)
 *     g ← g + momentum·buf (nesterov) | buf
 *     p ← p − lr·g
 *
 * State per parameter: `momentumBuffer` (only when momentum ≠ 0).
 *
 * @example
 * const opt = new SGD(model.namedParameters(), { lr: 0.2, weightDecay: 5e-4 });
 * opt.minimize(() => loss(model, batch));
 */
export class SGD extends Optimizer {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;

  constructor(params: Params, options: SGDOptions) {
    if (!options || typeof options !== 'object') throw new TypeError('SGD: options { lr, … } are required');
    super('SGD', params, options.lr);
    const { momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = options;
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
    this.maximize = maximize;
    this.validate('SGD');
  }

  private validate(fn: string): void {
    checkNumber(fn, 'momentum', this.momentum, 0);
    checkNumber(fn, 'dampening', this.dampening, Number.NEGATIVE_INFINITY);
    checkNumber(fn, 'weightDecay', this.weightDecay, 0);
    if (typeof this.nesterov !== 'boolean')
      throw new TypeError(`${fn}: nesterov must be a boolean, got ${typeof this.nesterov}`);
    if (typeof this.maximize !== 'boolean')
      throw new TypeError(`${fn}: maximize must be a boolean, got ${typeof this.maximize}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error(
        `${fn}: nesterov momentum requires momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`,
      );
    }
  }

  protected hyper(): OptimizerOptionsRecord {
    const { momentum, dampening, weightDecay, nesterov, maximize } = this;
    return { momentum, dampening, weightDecay, nesterov, maximize };
  }

  protected setHyper(o: OptimizerOptionsRecord): void {
    const before = this.hyper();
    Object.assign(this, { ...before, ...o });
    try {
      this.validate('SGD.loadStateDict');
    } catch (err) {
      Object.assign(this, before);
      throw err;
    }
  }

  protected stateSpec() {
    return { momentumBuffer: 'tensor' } as const;
  }

  protected update(p: tf.Variable, grad: tf.Tensor, state: ParamState): void {
    let d = this.maximize ? tf.neg(grad) : grad;
    if (this.weightDecay !== 0) d = tf.add(d, tf.mul(p, this.weightDecay));
    if (this.momentum !== 0) {
      const buf = state.momentumBuffer as tf.Variable | undefined;
      let next: tf.Tensor;
      if (buf === undefined) {
        next = d;
        state.momentumBuffer = this.buffer(d);
      } else {
        next = tf.add(tf.mul(buf, this.momentum), tf.mul(d, 1 - this.dampening));
        buf.assign(next);
      }
      d = this.nesterov ? tf.add(d, tf.mul(next, this.momentum)) : next;
    }
    p.assign(tf.sub(p, tf.mul(d, this.lr)));
  }
}
