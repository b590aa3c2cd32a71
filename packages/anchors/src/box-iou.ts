import * as tf from '@tensorflow/tfjs-core';
import { areaOps } from './box-area.js';
import { checkBoxShape, checkCornerValues, readFloat32 } from './validate.js';

function checkPair(fn: string, boxes1: tf.Tensor2D, boxes2: tf.Tensor2D): void {
  checkBoxShape(fn, 'boxes1', boxes1);
  checkBoxShape(fn, 'boxes2', boxes2, 'M');
  checkCornerValues(fn, 'boxes1', readFloat32(boxes1), boxes1.shape[0]);
  checkCornerValues(fn, 'boxes2', readFloat32(boxes2), boxes2.shape[0]);
}

/** Intersection, union and the corners of both sets (inside a tidy). */
function interUnion(b1: tf.Tensor2D, b2: tf.Tensor2D) {
  const area1 = areaOps(b1);
  const area2 = areaOps(b2);
  // Broadcast explicitly: tfjs's Maximum/Minimum gradients do not reduce over broadcast axes.
  const shape: [number, number, number] = [b1.shape[0], b2.shape[0], 2];
  const lt1 = tf.broadcastTo(tf.expandDims(tf.slice(b1, [0, 0], [-1, 2]), 1), shape); // [N, M, 2]
  const rb1 = tf.broadcastTo(tf.expandDims(tf.slice(b1, [0, 2], [-1, 2]), 1), shape);
  const lt2 = tf.broadcastTo(tf.slice(b2, [0, 0], [-1, 2]), shape);
  const rb2 = tf.broadcastTo(tf.slice(b2, [0, 2], [-1, 2]), shape);
  const wh = tf.relu(tf.sub(tf.minimum(rb1, rb2), tf.maximum(lt1, lt2))); // [N, M, 2]
  const [w, h] = tf.unstack(wh, 2);
  const inter = tf.mul(w!, h!);
  const union = tf.sub(tf.add(tf.expandDims(area1, 1), area2), inter);
  return { inter, union, lt1, rb1, lt2, rb2 };
}

function asFloat(b: tf.Tensor2D): tf.Tensor2D {
  return tf.cast(b, 'float32') as tf.Tensor2D;
}

/**
 * Pairwise intersection over union (Jaccard index): torchvision `ops.box_iou`, d2l `box_iou`.
 * IoU = inter / (area1 + area2 − inter), with the intersection clamped at 0 in each axis, so boxes that
 * only touch have IoU 0. Degenerate (zero-area) boxes: IoU 0 against a box of positive area, and NaN
 * (0/0) against another zero-area box, exactly as PyTorch computes it.
 *
 * @param boxes1 `[N, 4]` corners `[x1, y1, x2, y2]`, finite, `x2 ≥ x1`, `y2 ≥ y1`.
 * @param boxes2 `[M, 4]` corners.
 * @returns `[N, M]` float32. Differentiable (tfjs ops).
 */
export function boxIou(boxes1: tf.Tensor2D, boxes2: tf.Tensor2D): tf.Tensor2D {
  checkPair('boxIou', boxes1, boxes2);
  return tf.tidy(() => {
    const { inter, union } = interUnion(asFloat(boxes1), asFloat(boxes2));
    return tf.div(inter, union) as tf.Tensor2D;
  });
}

/**
 * Pairwise generalized IoU (Rezatofighi et al. 2019): torchvision `ops.generalized_box_iou`,
 * `IoU − (C − union) / C` with `C` the area of the smallest box enclosing both. In [−1, 1].
 * Degenerate boxes: NaN when the enclosing box has zero area (two identical zero-area boxes), as in
 * torchvision.
 *
 * @param boxes1 `[N, 4]` corners `[x1, y1, x2, y2]`, finite, `x2 ≥ x1`, `y2 ≥ y1`.
 * @param boxes2 `[M, 4]` corners.
 * @returns `[N, M]` float32. Differentiable (use `1 − generalizedBoxIou` of matched pairs as a loss).
 */
export function generalizedBoxIou(boxes1: tf.Tensor2D, boxes2: tf.Tensor2D): tf.Tensor2D {
  checkPair('generalizedBoxIou', boxes1, boxes2);
  return tf.tidy(() => {
    const { inter, union, lt1, rb1, lt2, rb2 } = interUnion(asFloat(boxes1), asFloat(boxes2));
    const iou = tf.div(inter, union);
    const whi = tf.relu(tf.sub(tf.maximum(rb1, rb2), tf.minimum(lt1, lt2)));
    const [wi, hi] = tf.unstack(whi, 2);
    const areai = tf.mul(wi!, hi!);
    return tf.sub(iou, tf.div(tf.sub(areai, union), areai)) as tf.Tensor2D;
  });
}
