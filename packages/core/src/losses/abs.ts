import * as tf from '@tensorflow/tfjs-core';

/**
 * |x| with PyTorch's gradient sign(x), which is 0 at x = 0. tfjs-core's own `abs` gradient is
 * `step(x, -1)`, i.e. −1 at 0: an exact tie between prediction and target (common in masked box losses,
 * where both are multiplied by a 0 mask) would then get a gradient PyTorch does not give.
 */
export const absSignGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  (args[1] as tf.GradSaveFunc)([x]);
  return {
    value: tf.abs(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sign(saved[0]!)),
  };
}) as (x: tf.Tensor) => tf.Tensor;
