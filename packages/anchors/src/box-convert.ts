import * as tf from '@tensorflow/tfjs-core';
import { checkBoxShape, checkCenterValues, checkCornerValues, readFloat32 } from './validate.js';

/**
 * Corner boxes `[x1, y1, x2, y2]` to center boxes `[cx, cy, w, h]`: d2l `box_corner_to_center`
 * (`((x1 + x2) / 2, (y1 + y2) / 2, x2 − x1, y2 − y1)`, float32 in the same order of operations).
 *
 * @param boxes `[N, 4]` corners, finite, `x2 ≥ x1` and `y2 ≥ y1` (zero-area boxes give `w = 0` or `h = 0`).
 * @returns `[N, 4]` float32 centers. Built from tfjs ops, so it is differentiable.
 */
export function boxCornerToCenter(boxes: tf.Tensor2D): tf.Tensor2D {
  const fn = 'boxCornerToCenter';
  checkBoxShape(fn, 'boxes', boxes);
  checkCornerValues(fn, 'boxes', readFloat32(boxes), boxes.shape[0]);
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = tf.unstack(tf.cast(boxes, 'float32'), 1) as tf.Tensor1D[];
    return tf.stack(
      [tf.div(tf.add(x1!, x2!), 2), tf.div(tf.add(y1!, y2!), 2), tf.sub(x2!, x1!), tf.sub(y2!, y1!)],
      1,
    ) as tf.Tensor2D;
  });
}

/**
 * Center boxes `[cx, cy, w, h]` to corner boxes `[x1, y1, x2, y2]`: d2l `box_center_to_corner`
 * (`(cx − 0.5·w, cy − 0.5·h, cx + 0.5·w, cy + 0.5·h)`).
 *
 * @param boxes `[N, 4]` centers, finite, `w ≥ 0` and `h ≥ 0`.
 * @returns `[N, 4]` float32 corners. Differentiable.
 */
export function boxCenterToCorner(boxes: tf.Tensor2D): tf.Tensor2D {
  const fn = 'boxCenterToCorner';
  checkBoxShape(fn, 'boxes', boxes);
  checkCenterValues(fn, 'boxes', readFloat32(boxes), boxes.shape[0]);
  return tf.tidy(() => {
    const [cx, cy, w, h] = tf.unstack(tf.cast(boxes, 'float32'), 1) as tf.Tensor1D[];
    const hw = tf.mul(w!, 0.5);
    const hh = tf.mul(h!, 0.5);
    return tf.stack([tf.sub(cx!, hw), tf.sub(cy!, hh), tf.add(cx!, hw), tf.add(cy!, hh)], 1) as tf.Tensor2D;
  });
}
