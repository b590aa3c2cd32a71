import * as tf from '@tensorflow/tfjs-core';
import { stableMean } from './stable-mean.js';

/**
 * |x| with PyTorch's gradient `sign(x)` (0 at 0). tfjs's `abs` gradient is −1 at 0, and neighbouring pixels
 * of a photo are often exactly equal (flat or clipped regions), where the two would differ.
 */
const absSignGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([x]);
  return {
    value: tf.abs(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sign(saved[0]!)),
  };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * d2l's `tv_loss` (total variation) on NHWC:
 * `0.5 · (mean|x[:, 1:, :, :] − x[:, :−1, :, :]| + mean|x[:, :, 1:, :] − x[:, :, :−1, :]|)`
 * (PyTorch's NCHW slices `[:, :, 1:, :]` and `[:, :, :, 1:]` are the height and width differences).
 *
 * The gradient of |·| is `sign`, 0 at 0, as PyTorch's (tfjs's own `abs` gives −1 there).
 *
 * @param yHat `[N, H, W, C]` with H ≥ 2 and W ≥ 2.
 * @returns a scalar.
 */
export function tvLoss(yHat: tf.Tensor): tf.Scalar {
  if (!(yHat instanceof tf.Tensor) || yHat.rank !== 4 || yHat.shape[1]! < 2 || yHat.shape[2]! < 2) {
    throw new Error(
      `tvLoss: yHat must be [N, H, W, C] with H ≥ 2 and W ≥ 2, got ${yHat instanceof tf.Tensor ? `shape [${yHat.shape}]` : typeof yHat}`,
    );
  }
  return tf.tidy(() => {
    const [n, h, w, c] = yHat.shape as [number, number, number, number];
    const dh = tf.sub(
      tf.slice(yHat, [0, 1, 0, 0], [n, h - 1, w, c]),
      tf.slice(yHat, [0, 0, 0, 0], [n, h - 1, w, c]),
    );
    const dw = tf.sub(
      tf.slice(yHat, [0, 0, 1, 0], [n, h, w - 1, c]),
      tf.slice(yHat, [0, 0, 0, 0], [n, h, w - 1, c]),
    );
    return tf.mul(0.5, tf.add(stableMean(absSignGrad(dh)), stableMean(absSignGrad(dw)))) as tf.Scalar;
  });
}
