import * as tf from '@tensorflow/tfjs-core';

/**
 * Transposed convolution as tfjs's `conv2dTranspose` (the input gradient of a convolution), per group.
 *
 * DESIGN.md's trap 6 (checked against PyTorch in the tests): `tf.conv2dTranspose(x, filter, [B, H_out, W_out, C],
 * stride, [[0,0],[p,p],[p,p],[0,0]])` equals `ConvTranspose2d(padding=p, output_padding=op)` when `op < stride`:
 * the forward convolution of an `H_out`-row input with that padding has exactly `H` outputs. PyTorch also allows
 * `stride ≤ op < dilation`, where that convolution would have more. So this computes only the rows a tap can
 * reach, `H_out − op + min(op, p)`, with explicit padding `[p, p − min(op, p)]` (again exactly `H` outputs), and
 * appends the `op − min(op, p)` rows no tap reaches as zeros. Dilation is in `filter` already (zeros between
 * taps): tfjs's `Conv2DBackpropInput` has none.
 *
 * @returns `[B, H_out, W_out, C_out]` without bias, or `null` when no output row or column is reachable
 *   (the caller then uses the sub-pixel form)
 */
export function convTranspose2dDirect(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: readonly [number, number],
  padding: readonly [number, number],
  outputPadding: readonly [number, number],
  outSize: readonly [number, number],
  groups: number,
): tf.Tensor4D | null {
  const [b] = x.shape;
  const cog = filter.shape[2];
  const extra = [0, 1].map((a) => Math.min(outputPadding[a]!, padding[a]!));
  const computed = [0, 1].map((a) => outSize[a]! - outputPadding[a]! + extra[a]!);
  if (computed[0]! < 1 || computed[1]! < 1) return null;
  return tf.tidy(() => {
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [padding[0], padding[0] - extra[0]!],
      [padding[1], padding[1] - extra[1]!],
      [0, 0],
    ];
    const shape: [number, number, number, number] = [b, computed[0]!, computed[1]!, cog];
    const one = (xi: tf.Tensor4D, fi: tf.Tensor4D) =>
      tf.conv2dTranspose(xi, fi, shape, [stride[0], stride[1]], pad);
    let y: tf.Tensor4D;
    if (groups === 1) {
      y = one(x, filter);
    } else {
      const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
      const fs = tf.split(filter, groups, 3) as tf.Tensor4D[];
      y = tf.concat(
        xs.map((xi, i) => one(xi, fs[i]!)),
        3,
      );
    }
    const rest = [0, 1].map((a) => outputPadding[a]! - extra[a]!);
    return rest[0] || rest[1]
      ? tf.pad(y, [
          [0, 0],
          [0, rest[0]!],
          [0, rest[1]!],
          [0, 0],
        ])
      : y;
  });
}
