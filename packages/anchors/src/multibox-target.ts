import * as tf from '@tensorflow/tfjs-core';
import { anchorIndex } from './anchor-cache.js';
import { assignArrays, assignScratch } from './assign-anchor-to-bbox.js';
import { coderParams, encodeInto } from './box-math.js';
import { D2L_BOX_WEIGHTS, D2L_OFFSET_EPS } from './offset-boxes.js';
import {
  checkAnchorShape,
  checkCornerValues,
  checkNumber,
  checkShape,
  checkWeights,
  readFloat32,
} from './validate.js';

export interface MultiboxTargetOptions {
  /** IoU at which an anchor takes a box in the first pass of the assignment. Default d2l's 0.5. */
  iouThreshold?: number;
  /** Box-coder weights `[wx, wy, ww, wh]`. Default d2l's `[10, 10, 5, 5]`. */
  weights?: readonly number[];
  /** eps inside the log of the size offsets. Default d2l's 1e-6. */
  eps?: number;
}

export interface MultiboxTargets {
  /** `[B, 4N]` float32: each anchor's 4 offsets to its box (see `offsetBoxes`), 0 for unassigned anchors. */
  bboxOffset: tf.Tensor2D;
  /** `[B, 4N]` float32: 1 for the 4 entries of an assigned anchor, else 0. */
  bboxMask: tf.Tensor2D;
  /** `[B, N]` int32: 0 = background, `c + 1` for a box of class `c`. */
  classLabels: tf.Tensor2D;
}

/**
 * Labels anchors with classes and offsets for training: d2l `multibox_target` (§13.4.3), exactly, on
 * typed arrays (one read of each input, no per-image tensor work).
 *
 * For each image, the ground-truth boxes are assigned to anchors as by `assignAnchorToBbox`; an assigned
 * anchor gets class `c + 1`, a mask of 1 and the offsets to its box, every other anchor class 0
 * (background), mask 0 and offsets 0.
 *
 * Padding: rows whose class is −1 are ignored, so a batch can mix images with different numbers of
 * objects (an image with only padding rows gets all background). d2l's own code has no padding rule: it
 * would treat a row `[-1, -1, -1, -1, -1]` as a zero-area box and give it an anchor (class 0 with mask 1).
 * For unassigned anchors d2l computes `offset · 0`, which is NaN for a zero-width anchor; here they are
 * always exactly 0. No gradient (targets).
 *
 * @param anchors `[1, N, 4]` (or `[N, 4]`) corners `[x1, y1, x2, y2]`, e.g. from `multiboxPrior`.
 * @param labels `[B, M, 5]` rows `(class, x1, y1, x2, y2)`: class an integer ≥ 0, or −1 for padding.
 * @returns `{ bboxOffset [B, 4N], bboxMask [B, 4N], classLabels [B, N] }`, d2l's tuple in its order.
 */
export function multiboxTarget(
  anchors: tf.Tensor,
  labels: tf.Tensor3D,
  options: MultiboxTargetOptions = {},
): MultiboxTargets {
  const fn = 'multiboxTarget';
  const n = checkAnchorShape(fn, 'anchors', anchors);
  checkShape(fn, 'labels', labels, [-1, -1, 5], '[B, M, 5] (rows: class, x1, y1, x2, y2)');
  const iouThreshold = checkNumber(fn, 'iouThreshold', options.iouThreshold ?? 0.5);
  const weights = checkWeights(fn, options.weights ?? D2L_BOX_WEIGHTS);
  const coder = coderParams(weights, checkNumber(fn, 'eps', options.eps ?? D2L_OFFSET_EPS));
  const [batch, m] = labels.shape as [number, number, number];
  const index = anchorIndex(fn, anchors, n);
  const anc = index.anchors;
  const lab = readFloat32(labels);
  // Validate every real row; collect the boxes and classes of each image.
  const gt = new Float32Array(m * 4);
  const cls = new Int32Array(m);
  const counts = new Int32Array(batch);
  const perImage: { boxes: Float32Array; classes: Int32Array }[] = [];
  for (let b = 0; b < batch; b++) {
    let k = 0;
    for (let r = 0; r < m; r++) {
      const at = (b * m + r) * 5;
      const c = lab[at]!;
      if (c === -1) continue;
      if (!Number.isInteger(c) || c < 0) {
        throw new Error(
          `${fn}: labels[${b}][${r}] has class ${c}; a class must be an integer ≥ 0, or −1 for a padding row`,
        );
      }
      checkCornerValues(fn, 'labels', lab, 1, () => `labels[${b}][${r}] (class ${c}) box`, 5, at + 1);
      gt.set(lab.subarray(at + 1, at + 5), k * 4);
      cls[k] = c;
      k++;
    }
    counts[b] = k;
    perImage.push({ boxes: gt.slice(0, k * 4), classes: cls.slice(0, k) });
  }
  const scratch = assignScratch(n, m);
  const map = new Int32Array(n);
  const offsets = new Float32Array(batch * n * 4);
  const mask = new Float32Array(batch * n * 4);
  const classes = new Int32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const { boxes, classes: c } = perImage[b]!;
    assignArrays(index, boxes, counts[b]!, iouThreshold, scratch, map);
    const o4 = b * n * 4;
    for (let i = 0; i < n; i++) {
      const j = map[i]!;
      if (j < 0) continue;
      classes[b * n + i] = c[j]! + 1;
      const o = o4 + i * 4;
      mask.fill(1, o, o + 4);
      encodeInto(offsets, o, anc, i, boxes, j, coder);
    }
  }
  return tf.tidy(() => ({
    bboxOffset: tf.tensor2d(offsets, [batch, n * 4], 'float32'),
    bboxMask: tf.tensor2d(mask, [batch, n * 4], 'float32'),
    classLabels: tf.tensor2d(classes, [batch, n], 'int32'),
  }));
}
