import * as tf from '@tensorflow/tfjs-core';
import { checkRegressionArgs, type RegressionLossOptions } from './l1-loss.js';
import { reduce } from './validate.js';

/**
 * Mean squared error, PyTorch's `F.mse_loss`: (pred − target)² element-wise, reduced by `reduction`
 * ('mean' default, 'sum', 'none'). `pred` and `target` are float32 of the same shape.
 */
export function mseLoss(pred: tf.Tensor, target: tf.Tensor, options: RegressionLossOptions = {}): tf.Tensor {
  const { reduction = 'mean' } = options;
  checkRegressionArgs('mseLoss', pred, target, reduction);
  return tf.tidy(() => reduce(tf.squaredDifference(pred, target), reduction));
}
