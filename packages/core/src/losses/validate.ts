import * as tf from '@tensorflow/tfjs-core';

/** How a loss reduces its per-element values, as PyTorch's `reduction` argument. */
export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** Throws unless `x` is a live tf.Tensor (not disposed). */
export function assertTensor(fn: string, arg: string, x: unknown): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new TypeError(`${fn}: ${arg} must be a tf.Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  if (x.isDisposed) throw new Error(`${fn}: ${arg} is disposed`);
}

/** Throws unless `x` is a float32 tensor. */
export function assertFloat(fn: string, arg: string, x: unknown): asserts x is tf.Tensor {
  assertTensor(fn, arg, x);
  if (x.dtype !== 'float32')
    throw new TypeError(`${fn}: ${arg} must be float32, got ${x.dtype} (shape [${x.shape}])`);
}

/** Throws unless `reduction` is 'mean', 'sum' or 'none'. */
export function assertReduction(fn: string, reduction: unknown): asserts reduction is Reduction {
  if (!REDUCTIONS.includes(reduction as Reduction)) {
    throw new Error(`${fn}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
}

/** Throws unless `a` and `b` have the same shape (PyTorch only warns and broadcasts; we refuse). */
export function assertSameShape(fn: string, aName: string, a: tf.Tensor, bName: string, b: tf.Tensor): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${fn}: ${bName} shape [${b.shape}] must equal ${aName} shape [${a.shape}]`);
  }
}

/** Applies a reduction to per-element losses: mean over all elements, sum, or the tensor itself. */
export function reduce(losses: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'none') return losses;
  return reduction === 'sum' ? tf.sum(losses) : tf.mean(losses);
}
