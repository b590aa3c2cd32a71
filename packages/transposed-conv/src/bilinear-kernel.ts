import * as tf from '@tensorflow/tfjs-core';
import { checkInt } from './args.js';

/**
 * The 1-D bilinear weights of d2l's `bilinear_kernel`: `1 − |i − center| / factor` for `i = 0 … k − 1`, with
 * `factor = ⌈k/2⌉` and `center = factor − 1` (odd `k`) or `factor − 0.5` (even `k`).
 */
export function bilinearWeights1d(kernelSize: number): Float32Array {
  const k = checkInt('bilinearWeights1d', 'kernelSize', kernelSize, 1);
  const factor = Math.floor((k + 1) / 2);
  const center = k % 2 === 1 ? factor - 1 : factor - 0.5;
  const out = new Float32Array(k);
  for (let i = 0; i < k; i++) out[i] = 1 - Math.abs(i - center) / factor;
  return out;
}

/**
 * d2l's `bilinear_kernel(in_channels, out_channels, kernel_size)` (13.10/13.11) in this package's filter
 * layout `[k, k, outChannels, inChannels]` (d2l returns PyTorch's `[in, out, k, k]`; they are
 * `tf.transpose(·, [2, 3, 1, 0])` of each other): channel `c` maps to channel `c` with the outer product of
 * {@link bilinearWeights1d}, every other pair is zero. As in d2l (PyTorch's broadcasting of the two index
 * ranges), `inChannels` and `outChannels` must be equal, or one of them 1 (then that one channel pairs with
 * each of the other's).
 *
 * With `stride = s`, `padding = s/2`, `kernelSize = 2s` (s even) a `ConvTranspose2d` with this weight
 * upsamples by `s` exactly like bilinear interpolation with `align_corners=False` in the interior; see the
 * README for the borders.
 *
 * @returns a new `[k, k, outChannels, inChannels]` float32 tensor
 */
export function bilinearKernel(inChannels: number, outChannels: number, kernelSize: number): tf.Tensor4D {
  const where = 'bilinearKernel';
  checkInt(where, 'inChannels', inChannels, 1);
  checkInt(where, 'outChannels', outChannels, 1);
  const k = checkInt(where, 'kernelSize', kernelSize, 1);
  if (inChannels !== outChannels && inChannels !== 1 && outChannels !== 1) {
    throw new Error(
      `${where}: d2l's kernel puts the filter at weight[range(in), range(out)], which needs inChannels = outChannels ` +
        `(or one of them 1), got inChannels ${inChannels} and outChannels ${outChannels}`,
    );
  }
  const w1 = bilinearWeights1d(k);
  const pairs = Math.max(inChannels, outChannels);
  const data = new Float32Array(k * k * outChannels * inChannels);
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++)
      for (let c = 0; c < pairs; c++) {
        const o = outChannels === 1 ? 0 : c;
        const i = inChannels === 1 ? 0 : c;
        data[((a * k + b) * outChannels + o) * inChannels + i] = w1[a]! * w1[b]!;
      }
  return tf.tensor4d(data, [k, k, outChannels, inChannels]);
}
