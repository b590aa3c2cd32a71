import * as tf from '@tensorflow/tfjs-core';

export interface ReadScalarsOptions {
  /** Dispose the tensors among `values` once they are read. Default false (the caller owns them). */
  dispose?: boolean;
}

/**
 * Reads several one-element tensors (and passes plain numbers through) with a single device read: the
 * tensors are stacked into one float32 vector whose `data()` is awaited once. On WebGPU or tfjs-node each
 * read is a round trip to the device, so a training step should read its loss, correct count and any
 * other metric here, together, once per step (never `dataSync()` per metric).
 *
 * @param values numbers or tensors of exactly one element each (any shape such as `[]` or `[1]`, any
 *   numeric dtype; int32 values above 2^24 lose precision in float32).
 * @returns the values as numbers, in the order given.
 *
 * @example
 * const [loss, correct] = await readScalars([lossSum, countCorrect(yHat, y)], { dispose: true });
 */
export async function readScalars(
  values: readonly (number | tf.Tensor)[],
  options: ReadScalarsOptions = {},
): Promise<number[]> {
  if (!Array.isArray(values)) {
    throw new Error(
      `readScalars: values must be an array of numbers or one-element tensors, got ${typeof values}`,
    );
  }
  const tensors: tf.Tensor[] = [];
  values.forEach((v, i) => {
    if (v instanceof tf.Tensor) {
      if (v.isDisposed) throw new Error(`readScalars: values[${i}] is a disposed tensor`);
      if (v.size !== 1) {
        throw new Error(
          `readScalars: values[${i}] has shape [${v.shape}] (${v.size} elements); expected one element`,
        );
      }
      if (v.dtype === 'string' || v.dtype === 'complex64') {
        throw new Error(`readScalars: values[${i}] has dtype ${v.dtype}; expected float32, int32 or bool`);
      }
      tensors.push(v);
    } else if (typeof v !== 'number') {
      throw new Error(`readScalars: values[${i}] is ${typeof v}; expected a number or a one-element tensor`);
    }
  });
  let read: Float32Array | undefined;
  if (tensors.length > 0) {
    const stacked = tf.tidy(() => tf.stack(tensors.map((t) => tf.cast(tf.reshape(t, []), 'float32'))));
    try {
      read = (await stacked.data()) as Float32Array;
    } finally {
      stacked.dispose();
    }
  }
  if (options.dispose) tf.dispose(tensors);
  let k = 0;
  return values.map((v) => (typeof v === 'number' ? v : read![k++]!));
}
