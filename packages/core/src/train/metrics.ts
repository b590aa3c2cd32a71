import * as tf from '@tensorflow/tfjs-core';
import { readScalars } from './read-scalars.js';

/**
 * A running weighted mean (Keras's `Mean`, torchmetrics' `MeanMetric`): `update(batchMeanLoss, batchSize)`
 * per step, `result()` at the end of the epoch gives the mean over all examples.
 */
export class MeanMetric {
  private total = 0;
  private weight = 0;

  /** @param name used in error messages and by callers that key metrics by name. */
  constructor(readonly name = 'mean') {}

  /**
   * Adds `value` with weight `weight` (default 1; a batch's mean with weight = batch size). NaN and ±Infinity
   * propagate into the result, so a diverged loss is not hidden.
   */
  update(value: number, weight = 1): void {
    if (typeof value !== 'number')
      throw new Error(`MeanMetric(${this.name}).update: value is ${typeof value}; expected a number`);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new Error(
        `MeanMetric(${this.name}).update: weight must be a finite number ≥ 0, got ${String(weight)}`,
      );
    }
    this.total += value * weight;
    this.weight += weight;
  }

  /** The weighted mean so far; NaN before any update with a positive weight. */
  result(): number {
    return this.weight > 0 ? this.total / this.weight : Number.NaN;
  }

  /** The total weight (number of examples) so far. */
  get count(): number {
    return this.weight;
  }

  reset(): void {
    this.total = 0;
    this.weight = 0;
  }
}

function checkLabels(fn: string, yHat: tf.Tensor, y: tf.Tensor): 'argmax' | 'compare' {
  if (!(yHat instanceof tf.Tensor) || !(y instanceof tf.Tensor)) {
    throw new Error(`${fn}: yHat and y must be tensors`);
  }
  const sameShape = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  if (yHat.rank === y.rank + 1 && sameShape(yHat.shape.slice(0, -1), y.shape)) {
    if (yHat.shape[yHat.rank - 1]! < 1)
      throw new Error(`${fn}: yHat [${yHat.shape}] has no classes on its last axis`);
    return 'argmax';
  }
  if (yHat.rank === y.rank && sameShape(yHat.shape, y.shape)) return 'compare';
  throw new Error(
    `${fn}: yHat [${yHat.shape}] and y [${y.shape}] do not match; expected yHat = [...y.shape, classes] (scores, class axis last, NHWC) ` +
      'or yHat with the same shape as y (predicted labels)',
  );
}

/**
 * The number of correct predictions as a float32 scalar tensor, without reading it: d2l's
 * `accuracy(y_hat, y)` before its `float(...)`. Read it together with the loss through
 * {@link readScalars} or `Accumulator.addAsync`, once per step.
 *
 * @param yHat scores `[...y.shape, classes]` (class axis last, so `[N, C]` for classification and
 *   `[N, H, W, C]` for segmentation), arg-maxed over the last axis; or predicted labels of `y`'s shape.
 * @param y labels `[N]` or `[N, H, W]` (int32 or float32 holding integers).
 * @returns a new float32 scalar the caller disposes.
 */
export function countCorrect(yHat: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const mode = checkLabels('countCorrect', yHat, y);
  return tf.tidy(() => {
    const hit =
      mode === 'argmax'
        ? tf.equal(tf.argMax(yHat, -1), tf.cast(y, 'int32'))
        : tf.equal(tf.cast(yHat, y.dtype), y);
    return tf.sum(tf.cast(hit, 'float32')) as tf.Scalar;
  });
}

/**
 * The fraction of correct predictions in [0, 1] (one device read), for evaluation code that wants a number.
 * Same arguments as {@link countCorrect}; an empty `y` gives NaN.
 */
export async function accuracy(yHat: tf.Tensor, y: tf.Tensor): Promise<number> {
  const [correct] = await readScalars([countCorrect(yHat, y)], { dispose: true });
  return correct! / y.size;
}
