import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape } from './content-loss.js';
import { detach } from './detach.js';
import { checkFeature, gram } from './gram.js';
import { stableMean } from './stable-mean.js';

/**
 * d2l's `style_loss`: `mean((gram(yHat) − gramY)²)`, `gramY` constant (PyTorch's `gram_Y.detach()`).
 *
 * @param yHat features of the synthesized image `[1, H, W, C]`.
 * @param gramY the style image's Gram matrix at the same layer, `[C, C]` (see `gram`).
 * @returns a scalar.
 */
export function styleLoss(yHat: tf.Tensor, gramY: tf.Tensor): tf.Scalar {
  checkFeature('styleLoss', 'yHat', yHat);
  const c = yHat.shape[3];
  if (!(gramY instanceof tf.Tensor) || gramY.rank !== 2) {
    throw new Error(
      `styleLoss: gramY must be a Gram matrix [${c}, ${c}], got ${gramY instanceof tf.Tensor ? `shape [${gramY.shape}]` : typeof gramY}`,
    );
  }
  return tf.tidy(() => {
    const g = gram(yHat);
    checkSameShape('styleLoss', g, gramY, 'gramY', 'gram(yHat)');
    return stableMean(tf.square(tf.sub(g, detach(gramY)))) as tf.Scalar;
  });
}
