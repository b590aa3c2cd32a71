import * as tf from '@tensorflow/tfjs-core';

/**
 * The gradients of a transposed convolution `y = convTranspose2d(x, filter)` (filter dilated already,
 * `[k_h, k_w, C_out/groups, C_in]`) for the upstream gradient `dy` `[B, H_out, W_out, C_out]`, as tfjs
 * differentiates `conv2dTranspose` (its `Conv2DBackpropInput` gradient) but with PyTorch's padding:
 *
 * - `dx = conv2d(dy, filter, stride, padding)`: the input gradient of a transposed convolution is the
 *   convolution with the same filter (one XNNPACK convolution on WASM, only the layer's multiply-adds);
 * - `dfilter = Conv2DBackpropFilter(dy, x)`: the filter gradient of that convolution (registered for WASM by
 *   `@cv/core`'s `initBackend('wasm')`).
 *
 * Rows and columns that no tap reaches (an output padding larger than the padding) get no gradient: `dy` is
 * cut to the reachable `H_out − op + min(op, p)` rows, and the convolution uses padding `[p, p − min(op, p)]`,
 * so that it has exactly `H` outputs. Groups: one convolution per group.
 *
 * @returns `[dx, dfilter]`
 */
export function transposedConvGradients(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: readonly [number, number],
  padding: readonly [number, number],
  outputPadding: readonly [number, number],
  groups: number,
): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const [b, ho, wo, cout] = dy.shape;
    const extra = [0, 1].map((a) => Math.min(outputPadding[a]!, padding[a]!));
    const rows = ho - outputPadding[0] + extra[0]!;
    const cols = wo - outputPadding[1] + extra[1]!;
    if (rows < 1 || cols < 1) return [tf.zerosLike(x), tf.zerosLike(filter)];
    const dyc =
      rows < ho || cols < wo
        ? (tf.reshape(tf.slice(tf.reshape(dy, [b, ho, wo * cout]), [0, 0, 0], [b, rows, cols * cout]), [
            b,
            rows,
            cols,
            cout,
          ]) as tf.Tensor4D)
        : dy;
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [padding[0], padding[0] - extra[0]!],
      [padding[1], padding[1] - extra[1]!],
      [0, 0],
    ];
    const strides: [number, number] = [stride[0], stride[1]];
    const one = (d: tf.Tensor4D, xi: tf.Tensor4D, fi: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] => [
      tf.conv2d(d, fi, strides, pad),
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x: d, dy: xi },
          { strides, pad, dataFormat: 'NHWC', filterShape: fi.shape },
        ) as tf.Tensor4D,
    ];
    if (groups === 1) return one(dyc, x, filter);
    const ds = tf.split(dyc, groups, 3) as tf.Tensor4D[];
    const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
    const fs = tf.split(filter, groups, 3) as tf.Tensor4D[];
    const parts = ds.map((d, i) => one(d, xs[i]!, fs[i]!));
    return [
      tf.concat(
        parts.map((p) => p[0]),
        3,
      ),
      tf.concat(
        parts.map((p) => p[1]),
        3,
      ),
    ];
  });
}

/**
 * Σ of the upstream gradient over batch, rows and columns, `[C_out]`, as a product with ones: `tf.sum` over
 * leading axes transposes first on WASM (8x slower for the FCN head's gradient).
 */
export function biasGradient(dy: tf.Tensor): tf.Tensor1D {
  const cout = dy.shape[dy.rank - 1]!;
  const pixels = dy.size / cout;
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, pixels]), tf.reshape(dy, [pixels, cout])), [cout]));
}
