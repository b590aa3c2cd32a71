import * as tf from '@tensorflow/tfjs-core';

/**
 * PyTorch's `x.detach()` for tfjs: the same values, a zero gradient (tfjs has no `stopGradient`). The clone
 * shares `x`'s data, so it costs nothing.
 */
export const detach = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as <T extends tf.Tensor>(x: T) => T;
