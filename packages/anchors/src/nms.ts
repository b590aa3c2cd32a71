import * as tf from '@tensorflow/tfjs-core';
import { areasOf } from './box-math.js';
import { greedyNms, type NmsSemantics, sortByScoreDesc } from './nms-core.js';
import {
  checkBoxShape,
  checkCornerValues,
  checkFinite,
  checkNumber,
  checkShape,
  readFloat32,
  shapeOf,
} from './validate.js';

export type { NmsSemantics } from './nms-core.js';

export interface NmsOptions {
  /**
   * `'torchvision'` (default): suppress when `iou > iouThreshold`, as `torchvision.ops.nms`.
   * `'d2l'`: keep only when `iou <= iouThreshold` in float32, as d2l's `nms`. The two differ only for
   * pairs of zero-area boxes (IoU NaN: torchvision keeps both, d2l drops the lower-scored one) and for
   * IoUs within float32 rounding of the threshold.
   */
  semantics?: NmsSemantics;
}

/** Validated boxes and scores of an NMS call (internal). */
export function readNmsInputs(fn: string, boxes: tf.Tensor2D, scores: tf.Tensor1D) {
  checkBoxShape(fn, 'boxes', boxes);
  checkShape(fn, 'scores', scores, [-1], '[N]');
  const n = boxes.shape[0];
  if (scores.shape[0] !== n) {
    throw new Error(
      `${fn}: scores ${shapeOf(scores.shape)} must have one score per box (boxes ${shapeOf(boxes.shape)})`,
    );
  }
  const b = readFloat32(boxes);
  checkCornerValues(fn, 'boxes', b, n);
  const s = readFloat32(scores);
  checkFinite(fn, 'scores', s, (i) => `scores[${i}]`);
  return { b, s, n };
}

/** Boxes and areas gathered in `order` (internal). */
export function gather(b: Float32Array, order: Int32Array): { boxes: Float32Array; areas: Float32Array } {
  const boxes = new Float32Array(order.length * 4);
  for (let p = 0, o = 0; p < order.length; p++, o += 4) {
    const q = order[p]! * 4;
    boxes[o] = b[q]!;
    boxes[o + 1] = b[q + 1]!;
    boxes[o + 2] = b[q + 2]!;
    boxes[o + 3] = b[q + 3]!;
  }
  return { boxes, areas: areasOf(boxes, order.length) };
}

/**
 * Non-maximum suppression: torchvision `ops.nms` and d2l `nms` (§13.4.4). Visits the boxes by descending
 * score and keeps a box unless a kept box overlaps it with IoU > `iouThreshold`.
 *
 * Ties in score are visited in ascending index order (a stable sort). PyTorch 1.13's CPU `sort` is not
 * stable, so with tied scores torchvision and d2l may visit (and keep) them in another order; without ties
 * the results are identical. Zero-area boxes have IoU 0 with every other box (so they suppress nothing and
 * are suppressed by nothing) except another zero-area box, where the IoU is NaN: see `semantics`.
 * Runs on the CPU over typed arrays: one stable O(N) sort, then the greedy pass, comparing each box only
 * with the kept boxes that could suppress it (similar size, close centre), not with all of them. No
 * gradient.
 *
 * @param boxes `[N, 4]` corners `[x1, y1, x2, y2]`.
 * @param scores `[N]` finite scores.
 * @param iouThreshold discard boxes with IoU > this with a higher-scored kept box.
 * @returns int32 `[K]`: indices of the kept boxes, by descending score.
 */
export function nms(
  boxes: tf.Tensor2D,
  scores: tf.Tensor1D,
  iouThreshold: number,
  options: NmsOptions = {},
): tf.Tensor1D {
  const fn = 'nms';
  const semantics = options.semantics ?? 'torchvision';
  if (semantics !== 'torchvision' && semantics !== 'd2l') {
    throw new Error(`${fn}: semantics must be 'torchvision' or 'd2l', got '${String(semantics)}'`);
  }
  const { b, s, n } = readNmsInputs(fn, boxes, scores);
  checkNumber(fn, 'iouThreshold', iouThreshold);
  const order = sortByScoreDesc(s, n);
  const { boxes: sb, areas } = gather(b, order);
  const keptPos = greedyNms(sb, areas, n, iouThreshold, semantics);
  const out = new Int32Array(keptPos.length);
  for (let k = 0; k < keptPos.length; k++) out[k] = order[keptPos[k]!]!;
  return tf.tidy(() => tf.tensor1d(out, 'int32'));
}
