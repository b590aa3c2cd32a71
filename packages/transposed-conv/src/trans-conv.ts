import * as tf from '@tensorflow/tfjs-core';
import { checkTensor } from './args.js';

/**
 * d2l's `trans_conv(X, K)` (13.10.1), the basic transposed convolution of one 2-D map: every input element
 * broadcasts `X[i, j]·K` into the output window at `(i, j)`.
 *
 * @param X `[h, w]`
 * @param K `[kh, kw]`
 * @returns `[h + kh − 1, w + kw − 1]`, computed as `Σ_{a,b} K[a, b]·pad(X)` shifted by `(a, b)` (kh·kw scaled
 *   copies, differentiable in both arguments), the sum d2l's loop makes
 */
export function transConv(X: tf.Tensor2D, K: tf.Tensor2D): tf.Tensor2D {
  checkTensor('transConv', 'X', X, 2, '[h, w]');
  checkTensor('transConv', 'K', K, 2, '[kh, kw]');
  const [kh, kw] = K.shape;
  return tf.tidy(() => {
    const taps = tf.unstack(tf.reshape(K, [kh * kw]));
    let y: tf.Tensor2D | null = null;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const shifted = tf.pad(tf.mul(X, taps[a * kw + b]!), [
          [a, kh - 1 - a],
          [b, kw - 1 - b],
        ]) as tf.Tensor2D;
        y = y ? (tf.add(y, shifted) as tf.Tensor2D) : shifted;
      }
    }
    return y!;
  });
}
