import * as tf from '@tensorflow/tfjs-core';

/**
 * The parameters an optimizer updates: an array of variables (keyed '0', '1', … in the state dict, like
 * PyTorch's parameter indices) or a record of named variables (keyed by name, e.g. a module's
 * `namedParameters()`; stable across runs, so prefer it for checkpoints).
 */
export type Params = tf.Variable[] | Record<string, tf.Variable>;

/**
 * Gradients for one step, keyed by `variable.name` as `tf.variableGrads` returns them (with record params,
 * a record key is accepted too, unless it is the name of another variable). A parameter without an entry (or with null/undefined) is skipped for this
 * step, as PyTorch skips parameters whose `.grad` is None.
 */
export type Grads = Record<string, tf.Tensor | null | undefined>;

/** Serializable hyper-parameters of an optimizer (lr included). */
export type OptimizerOptionsRecord = Record<string, number | boolean | number[]>;

/**
 * An optimizer's state: the hyper-parameters and, per parameter key, its buffers (tensors the caller owns:
 * release them with `tf.dispose(state)`) and counters (numbers, e.g. Adam's step). It resumes training
 * exactly when loaded into an optimizer of the same type over parameters with the same keys and shapes.
 */
export interface OptimizerStateDict {
  type: string;
  options: OptimizerOptionsRecord;
  state: Record<string, Record<string, tf.Tensor | number>>;
}

interface Param {
  key: string;
  variable: tf.Variable;
}

/** Per-parameter state held by an optimizer: buffers (non-trainable variables) and counters. */
export type ParamState = Record<string, tf.Variable | number>;

/** Throws unless `value` is a finite number ≥ `min` (and < `below` if given). @internal */
export function checkNumber(
  fn: string,
  name: string,
  value: unknown,
  min: number,
  below?: number,
): asserts value is number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    (below === undefined || value < below);
  if (!ok) {
    const range = below === undefined ? `>= ${min}` : `in [${min}, ${below})`;
    throw new Error(`${fn}: ${name} must be a finite number ${range}, got ${JSON.stringify(value)}`);
  }
}

/**
 * Base of the optimizers: holds the parameters, the per-parameter state and the learning rate `lr` (which a
 * scheduler changes), and implements `step`, `minimize`, `stateDict`, `loadStateDict` and `dispose`.
 * Subclasses implement `update` for one parameter, called inside `tf.tidy`.
 */
export abstract class Optimizer {
  /** The learning rate used by the next step. Schedulers set it. */
  lr: number;
  protected readonly params: readonly Param[];
  protected readonly state = new Map<string, ParamState>();
  private readonly byName = new Map<string, Param>();
  private readonly recordKeys = new Map<string, Param>();
  private disposed = false;

  protected constructor(
    protected readonly typeName: string,
    params: Params,
    lr: number,
  ) {
    checkNumber(typeName, 'lr', lr, 0);
    this.lr = lr;
    const entries = Array.isArray(params)
      ? params.map((v, i) => [String(i), v] as const)
      : Object.entries(params ?? {});
    if (!params || typeof params !== 'object' || entries.length === 0) {
      throw new Error(`${typeName}: params must be a non-empty array or record of tf.Variable`);
    }
    const seen = new Set<tf.Variable>();
    this.params = entries.map(([key, variable]) => {
      if (!(variable instanceof tf.Variable)) {
        throw new TypeError(
          `${typeName}: params['${key}'] must be a tf.Variable, got ${variable === null ? 'null' : typeof variable}`,
        );
      }
      if (variable.dtype !== 'float32') {
        throw new TypeError(`${typeName}: params['${key}'] must be float32, got ${variable.dtype}`);
      }
      if (seen.has(variable)) throw new Error(`${typeName}: params['${key}'] appears twice`);
      seen.add(variable);
      return { key, variable };
    });
    for (const p of this.params) this.byName.set(p.variable.name, p);
    if (!Array.isArray(params))
      for (const p of this.params) if (!this.byName.has(p.key)) this.recordKeys.set(p.key, p);
  }

  /** The parameter a gradient key names: a variable name, else (record params) a record key that is not
   * the name of some other registered variable. */
  private lookup(k: string): Param | undefined {
    const p = this.byName.get(k);
    if (p) return p;
    const byKey = this.recordKeys.get(k);
    if (!byKey) return undefined;
    const registered = (tf.engine().registeredVariables as Record<string, tf.Variable | undefined>)[k];
    return registered && registered !== byKey.variable ? undefined : byKey;
  }

  /** The parameters, in order, with their state-dict keys. */
  get parameters(): ReadonlyArray<Readonly<Param>> {
    return this.params;
  }

  /** Serializable hyper-parameters other than lr. */
  protected abstract hyper(): OptimizerOptionsRecord;

  /** Sets the hyper-parameters other than lr from a state dict (validated by the subclass). */
  protected abstract setHyper(options: OptimizerOptionsRecord): void;

  /** Names and kinds of the per-parameter state entries ('tensor' buffers, 'number' counters). */
  protected abstract stateSpec(): Record<string, 'tensor' | 'number'>;

  /** Updates one parameter from its gradient; called inside tf.tidy, with `state` mutable. */
  protected abstract update(variable: tf.Variable, grad: tf.Tensor, state: ParamState): void;

  /**
   * One optimization step: updates every parameter that has a gradient in `grads` (keyed by variable name
   * as `tf.variableGrads` returns them, or by params key). Leaves the gradients to the caller. Throws when
   * `grads` is not empty but names none of the parameters, or a gradient's shape or dtype is wrong.
   */
  step(grads: Grads): void {
    this.checkLive('step');
    if (!grads || typeof grads !== 'object')
      throw new TypeError(`${this.typeName}.step: grads must be a record of tensors`);
    const keys = Object.keys(grads).filter((k) => grads[k] != null);
    const todo: [Param, tf.Tensor][] = [];
    const done = new Set<Param>();
    for (const k of keys) {
      const p = this.lookup(k);
      if (!p || done.has(p)) continue;
      done.add(p);
      const g = grads[k]!;
      if (!(g instanceof tf.Tensor) || g.isDisposed) {
        throw new TypeError(`${this.typeName}.step: grads['${k}'] must be a live tf.Tensor`);
      }
      const shape = p.variable.shape;
      if (g.dtype !== 'float32' || g.rank !== shape.length || g.shape.some((d, i) => d !== shape[i])) {
        throw new Error(
          `${this.typeName}.step: grads['${k}'] has ${g.dtype} shape [${g.shape}], expected float32 [${shape}] (params['${p.key}'])`,
        );
      }
      todo.push([p, g]);
    }
    if (keys.length > 0 && todo.length === 0) {
      const known = this.params.slice(0, 4).map((p) => `'${p.variable.name}'`);
      throw new Error(
        `${this.typeName}.step: grads name none of the parameters (got ${keys
          .slice(0, 4)
          .map((k) => `'${k}'`)
          .join(', ')}` +
          `${keys.length > 4 ? ', …' : ''}; expected variable names such as ${known.join(', ')})`,
      );
    }
    // Parameters in their own order, as PyTorch iterates its param group.
    todo.sort((a, b) => this.params.indexOf(a[0]) - this.params.indexOf(b[0]));
    for (const [p, g] of todo) {
      let st = this.state.get(p.key);
      if (!st) {
        st = {};
        this.state.set(p.key, st);
      }
      const s = st;
      tf.tidy(() => this.update(p.variable, g, s));
    }
  }

  /**
   * Computes the gradients of the scalar `loss()` with respect to the parameters (`tf.variableGrads`),
   * takes one step, and disposes the gradients. Returns the loss when `returnLoss` (the caller disposes it),
   * else null.
   */
  minimize(loss: () => tf.Scalar, returnLoss?: false): null;
  minimize(loss: () => tf.Scalar, returnLoss: true): tf.Scalar;
  minimize(loss: () => tf.Scalar, returnLoss = false): tf.Scalar | null {
    this.checkLive('minimize');
    const { value, grads } = tf.variableGrads(
      loss,
      this.params.map((p) => p.variable),
    );
    try {
      this.step(grads);
    } finally {
      tf.dispose(grads);
    }
    if (returnLoss) return value;
    value.dispose();
    return null;
  }

  /** A copy of the state (buffers cloned: the caller owns them; release with `tf.dispose(state)`). */
  stateDict(): OptimizerStateDict {
    this.checkLive('stateDict');
    const state: OptimizerStateDict['state'] = {};
    for (const p of this.params) {
      const st = this.state.get(p.key);
      if (!st) continue;
      state[p.key] = Object.fromEntries(
        Object.entries(st).map(([k, v]) => [k, typeof v === 'number' ? v : tf.clone(v)]),
      );
    }
    return { type: this.typeName, options: { lr: this.lr, ...this.hyper() }, state };
  }

  /**
   * Restores hyper-parameters (lr included) and per-parameter state from {@link stateDict}'s output (copied:
   * the caller keeps ownership of its tensors). Validates everything before changing anything.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const fn = `${this.typeName}.loadStateDict`;
    this.checkLive('loadStateDict');
    if (!dict || typeof dict !== 'object' || !dict.options || !dict.state) {
      throw new TypeError(`${fn}: expected { type, options, state } as stateDict() returns`);
    }
    if (dict.type !== this.typeName)
      throw new Error(`${fn}: state is for a ${dict.type} optimizer, not ${this.typeName}`);
    const { lr, ...hyper } = dict.options;
    checkNumber(fn, 'options.lr', lr, 0);
    const spec = this.stateSpec();
    const keys = new Map(this.params.map((p) => [p.key, p]));
    for (const [key, st] of Object.entries(dict.state)) {
      const p = keys.get(key);
      if (!p)
        throw new Error(
          `${fn}: state for unknown parameter '${key}' (parameters: ${[...keys.keys()].slice(0, 6).join(', ')})`,
        );
      for (const [name, v] of Object.entries(st)) {
        const kind = spec[name];
        if (!kind)
          throw new Error(
            `${fn}: state['${key}'].${name} is not ${this.typeName} state (${Object.keys(spec).join(', ')})`,
          );
        if (kind === 'number' && (typeof v !== 'number' || !Number.isFinite(v))) {
          throw new TypeError(`${fn}: state['${key}'].${name} must be a number, got ${typeof v}`);
        }
        if (kind === 'tensor') {
          const shape = p.variable.shape;
          if (!(v instanceof tf.Tensor) || v.isDisposed)
            throw new TypeError(`${fn}: state['${key}'].${name} must be a live tf.Tensor`);
          if (v.dtype !== 'float32' || v.rank !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
            throw new Error(
              `${fn}: state['${key}'].${name} has ${v.dtype} shape [${v.shape}], expected float32 [${shape}]`,
            );
          }
        }
      }
    }
    this.setHyper(hyper);
    this.lr = lr as number;
    this.disposeState();
    for (const [key, st] of Object.entries(dict.state)) {
      const entries = Object.entries(st).map(([k, v]) => [
        k,
        typeof v === 'number' ? v : tf.variable(v as tf.Tensor, false),
      ]);
      this.state.set(key, Object.fromEntries(entries));
    }
  }

  /**
   * The state as one flat record of tensors and numbers, the form the checkpoint helpers of `train/` store
   * (`serializeCheckpoint({ optimizer })`): `lr`, and `<paramKey>/<name>` for each buffer and counter
   * (`w/momentumBuffer`, `conv1.weight/expAvg`, `conv1.weight/step`). Other hyper-parameters are
   * configuration: construct the resumed optimizer with them. Tensors are copies the caller owns.
   */
  flatState(): Record<string, tf.Tensor | number> {
    const dict = this.stateDict();
    const flat: Record<string, tf.Tensor | number> = { lr: dict.options.lr as number };
    for (const [key, st] of Object.entries(dict.state)) {
      for (const [name, v] of Object.entries(st)) flat[`${key}/${name}`] = v;
    }
    return flat;
  }

  /** Restores {@link flatState}'s output (copied; hyper-parameters other than lr stay as constructed). */
  loadFlatState(flat: Record<string, tf.Tensor | number>): void {
    const fn = `${this.typeName}.loadFlatState`;
    if (!flat || typeof flat !== 'object')
      throw new TypeError(`${fn}: expected the record flatState() returns`);
    const state: OptimizerStateDict['state'] = {};
    let lr = this.lr;
    for (const [k, v] of Object.entries(flat)) {
      if (k === 'lr') {
        lr = v as number;
        continue;
      }
      const cut = k.lastIndexOf('/');
      if (cut <= 0) throw new Error(`${fn}: key '${k}' is neither 'lr' nor '<paramKey>/<name>'`);
      const key = k.slice(0, cut);
      state[key] ??= {};
      state[key][k.slice(cut + 1)] = v;
    }
    this.loadStateDict({ type: this.typeName, options: { ...this.hyper(), lr }, state });
  }

  /** Releases the optimizer's buffers (not the parameters). The optimizer cannot be used afterwards. */
  dispose(): void {
    this.disposeState();
    this.disposed = true;
  }

  /** Creates a state buffer (a non-trainable variable) holding a copy of `value`. @internal */
  protected buffer(value: tf.Tensor): tf.Variable {
    return tf.variable(value, false);
  }

  private disposeState(): void {
    for (const st of this.state.values()) {
      for (const v of Object.values(st)) if (typeof v !== 'number') v.dispose();
    }
    this.state.clear();
  }

  private checkLive(method: string): void {
    if (this.disposed) throw new Error(`${this.typeName}.${method}: the optimizer has been disposed`);
  }
}
