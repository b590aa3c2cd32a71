import type * as tf from '@tensorflow/tfjs-core';
import { areasOf, f32, iouAt } from './box-math.js';
import { checkAnchorShape, checkBoxShape, checkCornerValues, readFloat32 } from './validate.js';

export interface AnchorCoverageOptions {
  /** The IoU an anchor needs to be a positive for a box (d2l's `multibox_target`: 0.5). Default 0.5. */
  iouThreshold?: number;
}

export interface AnchorCoverage {
  /** The fraction of boxes with at least one anchor at IoU ≥ `iouThreshold`. */
  covered: number;
  /** The mean over boxes of their best anchor's IoU. */
  meanBestIou: number;
  /** Per box: its best anchor's IoU. */
  bestIou: Float32Array;
  /** Per box: how many anchors reach `iouThreshold`. */
  positives: Int32Array;
}

/**
 * How well a set of anchors fits a set of ground-truth boxes, to choose anchor sizes before training. A box
 * with no anchor at IoU ≥ `iouThreshold` is labelled only through its single best anchor (d2l's
 * `assign_anchor_to_bbox` forces one), from which the box offsets are large. Computed on the host with the
 * labelling's float32 IoU (`box-math`), the threshold rounded to float32 as the labelling compares it.
 *
 * @param anchors `[1, N, 4]` or `[N, 4]` corners (as `multiboxPrior` gives), normalized.
 * @param boxes `[M, 4]` corners in the same coordinates (for instance every training label).
 */
export function anchorCoverage(
  anchors: tf.Tensor,
  boxes: tf.Tensor2D,
  options: AnchorCoverageOptions = {},
): AnchorCoverage {
  const fn = 'anchorCoverage';
  const n = checkAnchorShape(fn, 'anchors', anchors);
  checkBoxShape(fn, 'boxes', boxes, 'M');
  const { iouThreshold = 0.5 } = options;
  if (!(typeof iouThreshold === 'number' && iouThreshold > 0 && iouThreshold <= 1))
    throw new Error(`${fn}: options.iouThreshold must be a number in (0, 1], got ${iouThreshold}`);
  const a = readFloat32(anchors);
  const b = readFloat32(boxes);
  const m = boxes.shape[0];
  checkCornerValues(fn, 'anchors', a, n);
  checkCornerValues(fn, 'boxes', b, m);
  const areaA = areasOf(a, n);
  const areaB = areasOf(b, m);
  const thr = f32(iouThreshold); // as multiboxTarget's labelling compares
  const bestIou = new Float32Array(m);
  const positives = new Int32Array(m);
  let covered = 0;
  let sum = 0;
  for (let j = 0; j < m; j++) {
    let best = 0;
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const iou = iouAt(a, areaA, i, b, areaB, j);
      if (iou > best) best = iou;
      if (iou >= thr) pos++;
    }
    bestIou[j] = best;
    positives[j] = pos;
    if (pos > 0) covered++;
    sum += best;
  }
  return { covered: m ? covered / m : Number.NaN, meanBestIou: m ? sum / m : Number.NaN, bestIou, positives };
}
