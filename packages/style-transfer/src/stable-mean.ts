import * as tf from '@tensorflow/tfjs-core';

const BLOCK = 1024;

/**
 * The mean of all elements, summed in blocks of 1024 (then blocks of the block sums, …). The WASM backend's
 * `Sum` accumulates in float32 one element after another, so `tf.mean` of the 262,144 entries of a
 * 512x512 Gram difference loses about four digits there (1e-4 relative on a style loss whose Gram matrices
 * nearly agree); block sums keep the error near float32's own. Differentiable (pad, reshape, sum).
 */
export function stableMean(x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const n = x.size;
    let s: tf.Tensor = tf.reshape(x, [n]);
    while (s.size > BLOCK) {
      const rows = Math.ceil(s.size / BLOCK);
      const padded = rows * BLOCK === s.size ? s : tf.pad(s, [[0, rows * BLOCK - s.size]]);
      s = tf.sum(tf.reshape(padded, [rows, BLOCK]), 1);
    }
    return tf.div(tf.sum(s), n) as tf.Scalar;
  });
}
