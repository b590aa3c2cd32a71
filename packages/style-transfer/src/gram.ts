import * as tf from '@tensorflow/tfjs-core';

/** Throws unless `x` is a float32 `[1, H, W, C]` tensor. @internal */
export function checkFeature(fn: string, name: string, x: unknown): asserts x is tf.Tensor4D {
  if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[0] !== 1) {
    throw new Error(
      `${fn}: ${name} must be a feature map [1, H, W, C] (batch 1, as d2l's reshape to (C, H·W) assumes), got ${
        x instanceof tf.Tensor ? `shape [${x.shape}]` : typeof x
      }`,
    );
  }
}

/**
 * `Xᵀ·X / scale` for `X` `[n, C]`, with the gradient `X·(dG + dGᵀ) / scale` as one matrix product.
 * tfjs's own gradient of `matMul(X, X, true, false)` makes two products (one per operand), and the WASM
 * backend's transposed-operand product is several times slower than transposing first, so both directions
 * transpose explicitly.
 */
const gramOf = (scale: number) =>
  tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const m = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([m]);
    return {
      value: tf.div(tf.matMul(tf.transpose(m), m), scale),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.matMul(saved[0] as tf.Tensor2D, tf.div(tf.add(dy, tf.transpose(dy)), scale) as tf.Tensor2D),
    };
  }) as (m: tf.Tensor2D) => tf.Tensor2D;

/**
 * d2l's `gram`: the Gram matrix of a feature map divided by its size,
 * `G = Xᵀ·X / (C·H·W)` with `X` the `[H·W, C]` reshape (PyTorch: `X.reshape(C, n) @ X.reshape(C, n).T / (C·n)`).
 *
 * @param x `[1, H, W, C]` (batch 1: d2l reshapes the whole tensor to `(C, numel/C)`).
 * @returns `[C, C]`.
 */
export function gram(x: tf.Tensor): tf.Tensor2D {
  checkFeature('gram', 'x', x);
  return tf.tidy(() => {
    const [, h, w, c] = x.shape;
    const n = h * w;
    return gramOf(c * n)(tf.reshape(x, [n, c]) as tf.Tensor2D);
  });
}
