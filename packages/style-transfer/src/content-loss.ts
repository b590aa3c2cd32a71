import * as tf from '@tensorflow/tfjs-core';
import { detach } from './detach.js';
import { stableMean } from './stable-mean.js';

/**
 * d2l's `content_loss`: `mean((yHat − y)²)`; `y` is a constant (PyTorch's `Y.detach()`: no gradient flows
 * into it).
 *
 * @param yHat features of the synthesized image, any shape.
 * @param y the content image's features, the same shape.
 * @returns a scalar.
 */
export function contentLoss(yHat: tf.Tensor, y: tf.Tensor): tf.Scalar {
  checkSameShape('contentLoss', yHat, y, 'y');
  return tf.tidy(() => stableMean(tf.square(tf.sub(yHat, detach(y)))) as tf.Scalar);
}

/** Throws unless `a` and `b` are tensors of the same shape. @internal */
export function checkSameShape(fn: string, a: unknown, b: unknown, bName: string, aName = 'yHat'): void {
  if (!(a instanceof tf.Tensor)) throw new Error(`${fn}: ${aName} must be a tf.Tensor, got ${typeof a}`);
  if (!(b instanceof tf.Tensor)) throw new Error(`${fn}: ${bName} must be a tf.Tensor, got ${typeof b}`);
  if (a.rank !== b.rank || a.shape.some((d: number, i: number) => d !== b.shape[i])) {
    throw new Error(`${fn}: ${aName} has shape [${a.shape}] but ${bName} has shape [${b.shape}]`);
  }
}
