import * as tf from '@tensorflow/tfjs-core';
import { checkTensor, type IntPair, toPair } from './args.js';

export interface ConvMatrixOptions {
  /** Default 1. */
  stride?: IntPair;
  /** Zeros around the input, as `Conv2d`'s padding. Default 0. */
  padding?: IntPair;
  /** Default 1. */
  dilation?: IntPair;
}

/**
 * The convolution (cross-correlation, d2l's `corr2d` / PyTorch's `Conv2d` on one channel) of an `[h, w]` map
 * with `kernel` as a dense matrix `W` of shape `[oh·ow, h·w]` (d2l 13.10.3, generalised to stride, padding
 * and dilation):
 *
 * - `conv(x) = W · vec(x)` (row-major `vec`, reshaped to `[oh, ow]`),
 * - `convTranspose(y) = Wᵀ · vec(y)` (reshaped to `[h, w]`): the transposed convolution with the same
 *   kernel, stride, padding and dilation, with the output padding that gives back `[h, w]`.
 *
 * `W[(oi, oj), (i, j)] = kernel[a, b]` where `i = oi·stride − padding + a·dilation` (and likewise `j`), else 0.
 * Built with one gather from the kernel, so it is differentiable in `kernel`.
 *
 * @param inputShape `[h, w]`
 * @param kernel `[kh, kw]`
 * @returns `[oh·ow, h·w]`, `oh = ⌊(h + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1`
 */
export function convMatrix(
  inputShape: IntPair,
  kernel: tf.Tensor2D,
  options: ConvMatrixOptions = {},
): tf.Tensor2D {
  const where = 'convMatrix';
  const [h, w] = toPair(where, 'inputShape', inputShape, 1);
  checkTensor(where, 'kernel', kernel, 2, '[kh, kw]');
  const [kh, kw] = kernel.shape;
  const [sh, sw] = toPair(where, 'stride', options.stride ?? 1, 1);
  const [ph, pw] = toPair(where, 'padding', options.padding ?? 0, 0);
  const [dh, dw] = toPair(where, 'dilation', options.dilation ?? 1, 1);
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (oh < 1 || ow < 1) {
    throw new Error(
      `${where}: the ${kh}x${kw} kernel (dilation [${dh}, ${dw}]) does not fit the ${h}x${w} input padded by [${ph}, ${pw}]: output ${oh}x${ow}`,
    );
  }
  // 0 reads the zero in front of the kernel's taps, t + 1 reads tap t.
  const index = new Int32Array(oh * ow * h * w);
  for (let oi = 0; oi < oh; oi++)
    for (let oj = 0; oj < ow; oj++) {
      const row = (oi * ow + oj) * h * w;
      for (let a = 0; a < kh; a++) {
        const i = oi * sh - ph + a * dh;
        if (i < 0 || i >= h) continue;
        for (let b = 0; b < kw; b++) {
          const j = oj * sw - pw + b * dw;
          if (j < 0 || j >= w) continue;
          index[row + i * w + j] = a * kw + b + 1;
        }
      }
    }
  return tf.tidy(() => {
    const taps = tf.concat([tf.zeros([1]), tf.reshape(kernel, [kh * kw])]);
    return tf.reshape(tf.gather(taps, tf.tensor1d(index, 'int32')), [oh * ow, h * w]);
  });
}

/**
 * d2l's `kernel2matrix(K)` (13.10.3): the `[4, 9]` matrix of the convolution of a 3x3 input with the 2x2
 * kernel `K`, so that `corr2d(X, K) = (W · vec(X)).reshape(2, 2)` and `trans_conv(Y, K) = (Wᵀ · vec(Y)).reshape(3, 3)`.
 * d2l's function is written for exactly these sizes; {@link convMatrix} is the general one.
 *
 * @param K `[2, 2]`
 */
export function kernel2matrix(K: tf.Tensor2D): tf.Tensor2D {
  checkTensor('kernel2matrix', 'K', K, 2, '[2, 2]');
  if (K.shape[0] !== 2 || K.shape[1] !== 2) {
    throw new Error(
      `kernel2matrix: K must be [2, 2] (d2l's function is written for a 2x2 kernel on a 3x3 input), got [${K.shape}]; use convMatrix for other sizes`,
    );
  }
  return convMatrix([3, 3], K);
}
