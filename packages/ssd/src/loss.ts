import { crossEntropy, smoothL1Loss } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

export interface SsdLossOptions {
  /**
   * Hard-negative mining (Liu et al. 2016, §2.2): when set to a ratio r > 0, the class loss of an image is
   * the mean cross entropy over its positive anchors and its `r · max(1, positives)` background anchors
   * of highest loss (the others give no loss and no gradient). Default undefined: off, d2l's mean over all
   * anchors.
   */
  hardNegativeRatio?: number;
  /** Box regression loss: `'l1'` (default, d2l) or `'smoothL1'` (PyTorch's `smooth_l1_loss` with `beta`). */
  bboxLoss?: 'l1' | 'smoothL1';
  /** Smooth L1's β (quadratic below β, offsets in d2l's scaled units). Default 1. */
  smoothL1Beta?: number;
  /**
   * How the box loss of an image is averaged: `'all'` (default, d2l) over all `4N` entries, masked ones
   * included; `'positives'` over the `4 · positives` entries of its assigned anchors (0 with none).
   */
  bboxNormalization?: 'all' | 'positives';
  /** Weight of the box term. Default 1. */
  bboxWeight?: number;
}

function check(fn: string, name: string, t: unknown, shape: (number | -1)[], desc: string): tf.Tensor {
  if (
    !(t instanceof tf.Tensor) ||
    t.rank !== shape.length ||
    shape.some((d, i) => d >= 0 && t.shape[i] !== d)
  ) {
    const got = t instanceof tf.Tensor ? `[${t.shape.join(', ')}]` : String(t);
    throw new Error(`${fn}: ${name} must have shape ${desc}, got ${got}`);
  }
  return t;
}

/** Validates the shapes shared by the loss and the metrics; returns `[B, N, C + 1]`. */
export function checkSsdShapes(
  fn: string,
  clsPreds: tf.Tensor,
  clsLabels: tf.Tensor,
  bboxPreds?: tf.Tensor,
  bboxLabels?: tf.Tensor,
  bboxMasks?: tf.Tensor,
): [number, number, number] {
  check(fn, 'clsPreds', clsPreds, [-1, -1, -1], '[B, N, C + 1]');
  const [b, n, c] = clsPreds.shape as [number, number, number];
  check(fn, 'clsLabels', clsLabels, [b, n], `[B, N] = [${b}, ${n}]`);
  if (bboxPreds) check(fn, 'bboxPreds', bboxPreds, [b, 4 * n], `[B, 4N] = [${b}, ${4 * n}]`);
  if (bboxLabels) check(fn, 'bboxLabels', bboxLabels, [b, 4 * n], `[B, 4N] = [${b}, ${4 * n}]`);
  if (bboxMasks) check(fn, 'bboxMasks', bboxMasks, [b, 4 * n], `[B, 4N] = [${b}, ${4 * n}]`);
  return [b, n, c];
}

/**
 * The hard-negative selection mask `[B, N]` (1 for positives and the chosen negatives), computed on the
 * CPU from the per-anchor losses (no gradient flows through the choice).
 */
export function hardNegativeMask(
  ceValues: Float32Array,
  labels: Int32Array,
  b: number,
  n: number,
  ratio: number,
): Float32Array {
  const mask = new Float32Array(b * n);
  const order: number[] = [];
  for (let i = 0; i < b; i++) {
    const o = i * n;
    let pos = 0;
    order.length = 0;
    for (let j = 0; j < n; j++) {
      if (labels[o + j]! > 0) {
        mask[o + j] = 1;
        pos++;
      } else {
        order.push(j);
      }
    }
    const k = Math.min(order.length, Math.ceil(ratio * Math.max(1, pos)));
    // Highest loss first; ties by anchor index (stable).
    order.sort((a, c) => ceValues[o + c]! - ceValues[o + a]! || a - c);
    for (let t = 0; t < k; t++) mask[o + order[t]!] = 1;
  }
  return mask;
}

/**
 * The seed's (d2l §13.7.2.2) `calc_loss`: per image, the mean cross entropy of the anchors' classes plus
 * the mean L1 error of the masked box offsets, `cls + bbox`, shape `[B]` (take `.mean()` for the step's
 * loss, as the seed does). With the defaults it equals d2l's
 *
 *     cls = cross_entropy(cls_preds.reshape(-1, C+1), cls_labels.reshape(-1), reduction='none').reshape(B, -1).mean(1)
 *     bbox = l1_loss(bbox_preds * bbox_masks, bbox_labels * bbox_masks, reduction='none').mean(1)
 *
 * Options (all off by default, see {@link SsdLossOptions}): hard-negative mining, smooth L1, normalising the
 * box loss by the positives, a box weight.
 *
 * @param clsPreds `[B, N, C + 1]` logits. @param clsLabels `[B, N]` int32 (0 background).
 * @param bboxPreds `[B, 4N]`. @param bboxLabels `[B, 4N]` target offsets. @param bboxMasks `[B, 4N]` 0/1.
 * @returns `[B]` per-image losses.
 */
export function calcLoss(
  clsPreds: tf.Tensor,
  clsLabels: tf.Tensor,
  bboxPreds: tf.Tensor,
  bboxLabels: tf.Tensor,
  bboxMasks: tf.Tensor,
  options: SsdLossOptions = {},
): tf.Tensor1D {
  const fn = 'calcLoss';
  const [b, n] = checkSsdShapes(fn, clsPreds, clsLabels, bboxPreds, bboxLabels, bboxMasks);
  const {
    hardNegativeRatio,
    bboxLoss = 'l1',
    smoothL1Beta = 1,
    bboxNormalization = 'all',
    bboxWeight = 1,
  } = options;
  if (hardNegativeRatio !== undefined && !(typeof hardNegativeRatio === 'number' && hardNegativeRatio > 0)) {
    throw new Error(
      `${fn}: options.hardNegativeRatio must be a number > 0 or undefined, got ${hardNegativeRatio}`,
    );
  }
  if (bboxLoss !== 'l1' && bboxLoss !== 'smoothL1') {
    throw new Error(`${fn}: options.bboxLoss must be 'l1' or 'smoothL1', got '${String(bboxLoss)}'`);
  }
  if (!(typeof smoothL1Beta === 'number' && smoothL1Beta > 0)) {
    throw new Error(`${fn}: options.smoothL1Beta must be a number > 0, got ${smoothL1Beta}`);
  }
  if (bboxNormalization !== 'all' && bboxNormalization !== 'positives') {
    throw new Error(
      `${fn}: options.bboxNormalization must be 'all' or 'positives', got '${String(bboxNormalization)}'`,
    );
  }
  if (!(typeof bboxWeight === 'number' && bboxWeight >= 0)) {
    throw new Error(`${fn}: options.bboxWeight must be a number ≥ 0, got ${bboxWeight}`);
  }
  return tf.tidy(() => {
    const labels = clsLabels.dtype === 'int32' ? clsLabels : tf.cast(clsLabels, 'int32');
    const ce = crossEntropy(clsPreds, labels, { reduction: 'none' }) as tf.Tensor2D; // [B, N]
    let cls: tf.Tensor;
    if (hardNegativeRatio === undefined) {
      cls = tf.mean(ce, 1);
    } else {
      const mask = hardNegativeMask(
        ce.dataSync() as Float32Array,
        labels.dataSync() as Int32Array,
        b,
        n,
        hardNegativeRatio,
      );
      const m = tf.tensor2d(mask, [b, n]);
      cls = tf.div(tf.sum(tf.mul(ce, m), 1), tf.maximum(tf.sum(m, 1), 1));
    }
    const diff = tf.sub(tf.mul(bboxPreds, bboxMasks), tf.mul(bboxLabels, bboxMasks));
    let elems: tf.Tensor;
    if (bboxLoss === 'l1') {
      elems = tf.abs(diff);
    } else {
      elems = smoothL1Loss(tf.mul(bboxPreds, bboxMasks), tf.mul(bboxLabels, bboxMasks), {
        reduction: 'none',
        beta: smoothL1Beta,
      });
    }
    const bbox =
      bboxNormalization === 'all'
        ? tf.mean(elems, 1)
        : tf.div(tf.sum(elems, 1), tf.maximum(tf.sum(bboxMasks, 1), 1));
    return tf.add(cls, bboxWeight === 1 ? bbox : tf.mul(bbox, bboxWeight)) as tf.Tensor1D;
  });
}
