import * as tf from '@tensorflow/tfjs-core';

/**
 * An optimizer's state as named values: `iter` (the step count, a number), its slot tensors in the
 * optimizer's own order (`w/momentum`, `w/m`, `w/v`...), and for Adam `__accBeta1`/`__accBeta2` (numbers). The order matters: tfjs optimizers match slots
 * to variables by position in the list passed to `minimize`/`applyGradients`, so keep the variable list
 * in the same order when resuming.
 */
export type OptimizerState = Record<string, tf.Tensor | number>;

/**
 * State that tfjs optimizers keep outside `getWeights()`: Adam's running powers beta1^t and beta2^t (its
 * `setWeights` recomputes them with `pow`, one float32 rounding away from the product the uninterrupted run
 * accumulated, which is enough to break a bit-exact resume).
 */
const HIDDEN = ['accBeta1', 'accBeta2'] as const;
const hiddenKey = (field: string) => `__${field}`;

function hiddenSlots(optimizer: tf.Optimizer): [string, tf.Variable][] {
  const o = optimizer as unknown as Record<string, unknown>;
  return HIDDEN.filter((f) => o[f] instanceof tf.Variable).map((f) => [f, o[f] as tf.Variable]);
}

/**
 * Copies a tfjs optimizer's state (`optimizer.getWeights()`): the step count as `iter` (a number) and a
 * clone of each slot variable. The caller owns (disposes) the returned tensors. Learning rate, momentum and
 * the other hyper-parameters are configuration, not state: construct the resumed optimizer with the same
 * ones (or the schedule's value for the resumed epoch).
 *
 * PyTorch's `optimizer.state_dict()['state']` is the counterpart (`momentum_buffer`, `exp_avg`...).
 */
export async function exportOptimizerState(optimizer: tf.Optimizer): Promise<OptimizerState> {
  if (!optimizer || typeof (optimizer as tf.Optimizer).getWeights !== 'function') {
    throw new Error(
      `exportOptimizerState: expected a tfjs Optimizer (with getWeights), got ${typeof optimizer}`,
    );
  }
  const weights = await optimizer.getWeights();
  const state: OptimizerState = {};
  for (const [i, { name, tensor }] of weights.entries()) {
    if (i === 0 && name === 'iter') {
      // saveIterations() made this scalar for us: read and dispose it.
      state.iter = (await tensor.data())[0]!;
      tensor.dispose();
    } else {
      if (name in state) throw new Error(`exportOptimizerState: two optimizer weights are named '${name}'`);
      state[name] = tf.clone(tensor);
    }
  }
  for (const [field, v] of hiddenSlots(optimizer)) state[hiddenKey(field)] = (await v.data())[0]!;
  return state;
}

/**
 * Restores state from {@link exportOptimizerState} (or a checkpoint's `optimizer`) into `optimizer`, which
 * must be of the same kind and used on the same variables in the same order. The optimizer's previous
 * slot variables are disposed; `state`'s tensors stay the caller's (the optimizer keeps copies).
 */
export async function importOptimizerState(optimizer: tf.Optimizer, state: OptimizerState): Promise<void> {
  if (!optimizer || typeof (optimizer as tf.Optimizer).setWeights !== 'function') {
    throw new Error(
      `importOptimizerState: expected a tfjs Optimizer (with setWeights), got ${typeof optimizer}`,
    );
  }
  if (state === null || typeof state !== 'object')
    throw new Error(`importOptimizerState: state must be an object, got ${String(state)}`);
  const iter = state.iter ?? 0;
  if (typeof iter !== 'number' || !Number.isInteger(iter) || iter < 0) {
    throw new Error(
      `importOptimizerState: state.iter must be an integer ≥ 0 (the step count), got ${String(iter)}`,
    );
  }
  const named: { name: string; tensor: tf.Tensor }[] = [];
  for (const [name, value] of Object.entries(state)) {
    if (name === 'iter' || HIDDEN.some((f) => name === hiddenKey(f))) continue;
    if (!(value instanceof tf.Tensor) || value.isDisposed) {
      throw new Error(
        `importOptimizerState: state['${name}'] must be a live tensor, got ${value instanceof tf.Tensor ? 'a disposed tensor' : typeof value}`,
      );
    }
    named.push({ name, tensor: value });
  }
  const iterTensor = tf.scalar(iter, 'int32');
  const previous = await optimizer.getWeights();
  try {
    await optimizer.setWeights([{ name: 'iter', tensor: iterTensor }, ...named]);
  } finally {
    iterTensor.dispose();
  }
  for (const [field, v] of hiddenSlots(optimizer)) {
    const saved = state[hiddenKey(field)];
    if (typeof saved === 'number') tf.tidy(() => v.assign(tf.scalar(saved, v.dtype)));
  }
  // getWeights() returned a fresh `iter` scalar and the old slot variables, now replaced: dispose them all.
  tf.dispose(previous.map((w) => w.tensor));
}
