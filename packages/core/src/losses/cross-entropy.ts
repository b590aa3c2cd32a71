import * as tf from '@tensorflow/tfjs-core';
import { type NllLossOptions, nllPerElement, prepareClassTargets, reduceNll } from './nll-loss.js';
import { assertReduction } from './validate.js';

export interface CrossEntropyOptions extends NllLossOptions {
  /**
   * Label smoothing ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C, as PyTorch ≥ 1.10's
   * `label_smoothing`. Default 0.
   */
  labelSmoothing?: number;
}

/**
 * Cross entropy between unnormalised scores `logits` [..., C] (class axis LAST, NHWC: a segmentation map
 * [B, H, W, C] with `target` [B, H, W]) and int32 class indices `target` [...]: PyTorch 1.13's
 * `F.cross_entropy` with class-index targets, computed as nll_loss(log_softmax(logits)) (numerically
 * stable for any logit magnitude).
 *
 * - `ignoreIndex` (default -100; 255 for Pascal VOC borders): those elements give no loss and no gradient.
 * - `reduction` 'mean' (default): the sum of losses divided by the number of non-ignored elements, or by
 *   the sum of their target-class weights when `weight` [C] is given (PyTorch's weighted mean). All elements
 *   ignored gives NaN, as in PyTorch. 'sum': the sum. 'none': a tensor of shape `target.shape`, 0 where
 *   ignored.
 * - `labelSmoothing` ε: loss = (1 − ε)·nll + ε/C·smooth, with smooth[n] = −Σ_c weight[c]·log p[n, c] (0 where
 *   ignored), reduced like nll (for 'mean', divided by the same denominator as nll), as torch 1.13's
 *   `cross_entropy_loss_label_smoothing` does.
 *
 * Returns a scalar for 'mean'/'sum'. Differentiable with respect to `logits`. Throws if a non-ignored target
 * is outside [0, C) (see `validateTargets`).
 */
export function crossEntropy(
  logits: tf.Tensor,
  target: tf.Tensor,
  options: CrossEntropyOptions = {},
): tf.Tensor {
  const { reduction = 'mean', labelSmoothing = 0 } = options;
  assertReduction('crossEntropy', reduction);
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new Error(`crossEntropy: labelSmoothing must be a number in [0, 1], got ${labelSmoothing}`);
  }
  return tf.tidy(() => {
    const p = prepareClassTargets('crossEntropy', logits, target, options);
    const logProbs = tf.logSoftmax(p.flat, -1);
    const prepared = { ...p, flat: logProbs as tf.Tensor2D };
    const nll = reduceNll(prepared, nllPerElement(prepared), reduction, target.shape);
    if (labelSmoothing === 0) return nll;
    const weighted = p.weight ? tf.mul(logProbs, p.weight) : logProbs;
    const smoothPerElement = tf.mul(tf.neg(tf.sum(weighted, -1)), p.valid) as tf.Tensor1D;
    const smooth = reduceNll(prepared, smoothPerElement, reduction, target.shape);
    return tf.add(tf.mul(nll, 1 - labelSmoothing), tf.mul(smooth, labelSmoothing / p.numClasses));
  });
}
