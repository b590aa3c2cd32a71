import * as tf from '@tensorflow/tfjs-core';
import { checkBoxShape, checkCornerValues, readFloat32 } from './validate.js';

/** `(x2 − x1)·(y2 − y1)` of float32 `[N, 4]` corners (inside a tidy; not exported). */
export function areaOps(boxes: tf.Tensor2D): tf.Tensor1D {
  const [x1, y1, x2, y2] = tf.unstack(boxes, 1) as tf.Tensor1D[];
  return tf.mul(tf.sub(x2!, x1!), tf.sub(y2!, y1!));
}

/**
 * Areas of corner boxes: torchvision `box_area`, `(x2 − x1)·(y2 − y1)`.
 *
 * @param boxes `[N, 4]` corners `[x1, y1, x2, y2]`, finite, `x2 ≥ x1`, `y2 ≥ y1`.
 * @returns `[N]` float32 (0 for degenerate boxes). Differentiable.
 */
export function boxArea(boxes: tf.Tensor2D): tf.Tensor1D {
  const fn = 'boxArea';
  checkBoxShape(fn, 'boxes', boxes);
  checkCornerValues(fn, 'boxes', readFloat32(boxes), boxes.shape[0]);
  return tf.tidy(() => areaOps(tf.cast(boxes, 'float32') as tf.Tensor2D));
}
