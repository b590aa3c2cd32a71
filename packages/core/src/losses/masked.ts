import * as tf from '@tensorflow/tfjs-core';
import { checkRegressionArgs, l1Elements } from './l1-loss.js';
import { checkBeta, smoothL1Elements } from './smooth-l1-loss.js';
import { assertFloat, type Reduction } from './validate.js';

export interface MaskedLossOptions {
  /** 'mean' (default), 'sum', or 'none' (shape of `pred`, 0 where the mask is 0). */
  reduction?: Reduction;
  /**
   * What 'mean' divides by. 'elements' (default): every element of `pred`, masked or not — d2l's SSD
   * (`bbox_loss(bbox_preds * bbox_masks, bbox_labels * bbox_masks).mean(dim=1)`, then the batch mean) is
   * exactly this when each example has the same number of elements. 'mask': the sum of the mask broadcast
   * to `pred`'s shape (the number of positive coordinates for a 0/1 mask), at least 1, so an all-zero mask
   * gives 0 rather than NaN (torchvision's detection losses use max(1, positives) the same way).
   */
  normalize?: 'elements' | 'mask';
}

export interface MaskedSmoothL1LossOptions extends MaskedLossOptions {
  /** See smoothL1Loss. Default 1. */
  beta?: number;
}

function maskedLoss(
  fn: string,
  pred: tf.Tensor,
  target: tf.Tensor,
  mask: tf.Tensor,
  options: MaskedLossOptions,
  elements: (p: tf.Tensor, t: tf.Tensor) => tf.Tensor,
): tf.Tensor {
  const { reduction = 'mean', normalize = 'elements' } = options;
  checkRegressionArgs(fn, pred, target, reduction);
  assertFloat(fn, 'mask', mask);
  const broadcastable =
    mask.rank <= pred.rank &&
    mask.shape.every((d, i) => d === 1 || d === pred.shape[pred.rank - mask.rank + i]);
  if (!broadcastable) {
    throw new Error(`${fn}: mask shape [${mask.shape}] must broadcast to pred shape [${pred.shape}]`);
  }
  if (normalize !== 'elements' && normalize !== 'mask') {
    throw new Error(`${fn}: normalize must be 'elements' or 'mask', got ${JSON.stringify(normalize)}`);
  }
  return tf.tidy(() => {
    const e = elements(tf.mul(pred, mask), tf.mul(target, mask));
    if (reduction === 'none') return e;
    const total = tf.sum(e);
    if (reduction === 'sum') return total;
    if (normalize === 'elements') return tf.div(total, pred.size);
    return tf.div(total, tf.maximum(tf.sum(tf.broadcastTo(mask, pred.shape)), 1));
  });
}

/**
 * Masked L1 loss in d2l's form (SSD's box-offset loss): `l1(pred·mask, target·mask)` element-wise, so
 * elements where mask = 0 give no loss and no gradient; a non-binary mask weights |pred − target| by |mask|.
 * `pred`, `target` float32 of one shape; `mask` float32 broadcastable to it (e.g. [B, A*4] like d2l's
 * `bbox_masks`, or [B, A, 1] against [B, A, 4]). Normalisation of 'mean': see {@link MaskedLossOptions}.
 */
export function maskedL1Loss(
  pred: tf.Tensor,
  target: tf.Tensor,
  mask: tf.Tensor,
  options: MaskedLossOptions = {},
): tf.Tensor {
  return maskedLoss('maskedL1Loss', pred, target, mask, options, l1Elements);
}

/**
 * Masked smooth L1 loss: `smoothL1(pred·mask, target·mask, beta)` element-wise (beta default 1), reduced
 * as {@link maskedL1Loss}.
 */
export function maskedSmoothL1Loss(
  pred: tf.Tensor,
  target: tf.Tensor,
  mask: tf.Tensor,
  options: MaskedSmoothL1LossOptions = {},
): tf.Tensor {
  const { beta = 1 } = options;
  checkBeta('maskedSmoothL1Loss', beta);
  return maskedLoss('maskedSmoothL1Loss', pred, target, mask, options, (p, t) =>
    smoothL1Elements(p, t, beta),
  );
}

/** Masked squared error: `(pred·mask − target·mask)²` element-wise, reduced as {@link maskedL1Loss}. */
export function maskedMseLoss(
  pred: tf.Tensor,
  target: tf.Tensor,
  mask: tf.Tensor,
  options: MaskedLossOptions = {},
): tf.Tensor {
  return maskedLoss('maskedMseLoss', pred, target, mask, options, (p, t) => tf.squaredDifference(p, t));
}
