import { crossEntropy } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

/** Pascal VOC's "ignore" label (object borders and unlabelled pixels). */
export const IGNORE_INDEX = 255;

/** Throws unless `logits` is `[B, H, W, C]` and `labels` `[B, H, W]`. */
export function checkSegmentationPair(where: string, logits: tf.Tensor, labels: tf.Tensor): void {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 4)
    throw new Error(
      `${where}: logits must be [B, H, W, numClasses], got ${logits instanceof tf.Tensor ? `shape [${logits.shape}]` : typeof logits}`,
    );
  if (
    !(labels instanceof tf.Tensor) ||
    labels.rank !== 3 ||
    labels.shape.some((d, i) => d !== logits.shape[i])
  )
    throw new Error(
      `${where}: labels must be [B, H, W] = [${logits.shape.slice(0, 3)}] to match logits [${logits.shape}], got ${labels instanceof tf.Tensor ? `shape [${labels.shape}]` : typeof labels}`,
    );
}

/**
 * The FCN's training loss: per-pixel cross entropy (class axis last), averaged over each image's pixels that
 * are not `ignoreIndex`, summed over the batch. This is the seed's
 * `F.cross_entropy(inputs, targets, reduction='none').mean(1).mean(1)` followed by d2l `train_ch13`'s
 * `l.sum()`, with VOC's border label 255 ignored (PyTorch's `ignore_index`) instead of counted as
 * background. An image whose pixels are all ignored contributes 0.
 *
 * @param logits `[B, H, W, C]` scores.
 * @param labels `[B, H, W]` integer class indices in [0, C) or `ignoreIndex`.
 * @returns a scalar (sum over the batch; divide by B for the per-example loss d2l prints).
 */
export function fcnLoss(
  logits: tf.Tensor,
  labels: tf.Tensor,
  options: { ignoreIndex?: number } = {},
): tf.Scalar {
  checkSegmentationPair('fcnLoss', logits, labels);
  const ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  return tf.tidy(() => {
    const y = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
    const perPixel = crossEntropy(logits, y, { reduction: 'none', ignoreIndex });
    const valid = tf.cast(tf.notEqual(y, ignoreIndex), 'float32');
    const perImage = tf.div(tf.sum(perPixel, [1, 2]), tf.maximum(tf.sum(valid, [1, 2]), 1));
    return tf.sum(perImage) as tf.Scalar;
  });
}
