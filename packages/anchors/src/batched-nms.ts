import * as tf from '@tensorflow/tfjs-core';
import { gather, readNmsInputs } from './nms.js';
import { greedyNms, sortByScoreDesc } from './nms-core.js';
import { checkNumber, checkShape, readFloat32, shapeOf } from './validate.js';

/**
 * Per-class non-maximum suppression: torchvision `ops.batched_nms`. Boxes of different classes (`idxs`)
 * never suppress each other; within a class it is {@link nms} (torchvision semantics).
 *
 * Computed class by class on the original coordinates, as torchvision's `_batched_nms_vanilla` (which it
 * uses on the CPU for more than 1,000 boxes); for fewer boxes torchvision shifts each class's boxes by
 * `class · (max coordinate + 1)` and runs one NMS, whose float rounding can move an IoU that is within a few
 * ulps of the threshold to the other side. Ties in score: ascending index (see `nms`). No gradient.
 *
 * @param boxes `[N, 4]` corners `[x1, y1, x2, y2]`.
 * @param scores `[N]` finite scores.
 * @param idxs `[N]` integer class (category) of each box.
 * @param iouThreshold discard boxes with IoU > this with a higher-scored kept box of the same class.
 * @returns int32 `[K]`: indices of the kept boxes, by descending score.
 */
export function batchedNms(
  boxes: tf.Tensor2D,
  scores: tf.Tensor1D,
  idxs: tf.Tensor1D,
  iouThreshold: number,
): tf.Tensor1D {
  const fn = 'batchedNms';
  const { b, s, n } = readNmsInputs(fn, boxes, scores);
  checkShape(fn, 'idxs', idxs, [-1], '[N]');
  if (idxs.shape[0] !== n) {
    throw new Error(
      `${fn}: idxs ${shapeOf(idxs.shape)} must have one class per box (boxes ${shapeOf(boxes.shape)})`,
    );
  }
  checkNumber(fn, 'iouThreshold', iouThreshold);
  const cls = readFloat32(idxs);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(cls[i]!))
      throw new Error(`${fn}: idxs[${i}] must be an integer class, got ${cls[i]}`);
  }
  const order = sortByScoreDesc(s, n);
  // Positions (in score order) of each class, each list ascending.
  const groups = new Map<number, number[]>();
  for (let p = 0; p < n; p++) {
    const c = cls[order[p]!]!;
    const g = groups.get(c);
    if (g) g.push(p);
    else groups.set(c, [p]);
  }
  const keep = new Uint8Array(n);
  for (const positions of groups.values()) {
    const members = Int32Array.from(positions, (p) => order[p]!);
    const { boxes: gb, areas } = gather(b, members);
    for (const k of greedyNms(gb, areas, members.length, iouThreshold, 'torchvision'))
      keep[positions[k]!] = 1;
  }
  const out: number[] = [];
  for (let p = 0; p < n; p++) if (keep[p]) out.push(order[p]!);
  return tf.tidy(() => tf.tensor1d(Int32Array.from(out), 'int32'));
}
