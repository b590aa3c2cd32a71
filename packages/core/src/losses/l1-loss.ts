import * as tf from '@tensorflow/tfjs-core';
import { absSignGrad } from './abs.js';
import { assertFloat, assertReduction, assertSameShape, type Reduction, reduce } from './validate.js';

export interface RegressionLossOptions {
  /** 'mean' over all elements (default), 'sum', or 'none' (shape of `pred`). */
  reduction?: Reduction;
}

/** Validates (pred, target) of a regression loss. @internal */
export function checkRegressionArgs(
  fn: string,
  pred: tf.Tensor,
  target: tf.Tensor,
  reduction: unknown,
): asserts reduction is Reduction {
  assertFloat(fn, 'pred', pred);
  assertFloat(fn, 'target', target);
  assertSameShape(fn, 'pred', pred, 'target', target);
  assertReduction(fn, reduction);
}

/** |pred − target| element-wise, with PyTorch's gradient (sign, 0 at a tie). @internal */
export function l1Elements(pred: tf.Tensor, target: tf.Tensor): tf.Tensor {
  return absSignGrad(tf.sub(pred, target));
}

/**
 * Mean absolute error, PyTorch's `F.l1_loss`: |pred − target| element-wise, reduced by `reduction`
 * ('mean' default, 'sum', 'none'). `pred` and `target` are float32 of the same shape (PyTorch would
 * broadcast with a warning; we refuse). The gradient with respect to `pred` is sign(pred − target), 0 at
 * an exact tie as in PyTorch (tfjs-core's `abs` gradient gives −1 there).
 */
export function l1Loss(pred: tf.Tensor, target: tf.Tensor, options: RegressionLossOptions = {}): tf.Tensor {
  const { reduction = 'mean' } = options;
  checkRegressionArgs('l1Loss', pred, target, reduction);
  return tf.tidy(() => {
    return reduce(l1Elements(pred, target), reduction);
  });
}
