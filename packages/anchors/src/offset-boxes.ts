import * as tf from '@tensorflow/tfjs-core';
import {
  checkBoxShape,
  checkCornerValues,
  checkFinite,
  checkNumber,
  checkWeights,
  readFloat32,
  shapeOf,
} from './validate.js';

/** d2l's box-coder weights: 10 for the center offsets, 5 for the log size ratios. */
export const D2L_BOX_WEIGHTS: readonly [number, number, number, number] = [10, 10, 5, 5];
/** d2l's eps inside the log of `offset_boxes`. */
export const D2L_OFFSET_EPS = 1e-6;

export interface OffsetBoxesOptions {
  /** `[wx, wy, ww, wh]`. Default d2l's `[10, 10, 5, 5]` (torchvision's SSD and R-CNN box heads use the same). */
  weights?: readonly number[];
  /** Added inside the log: `log(eps + w_box / w_anchor)`. Default d2l's 1e-6; 0 gives torchvision's `BoxCoder.encode`. */
  eps?: number;
}

export interface OffsetInverseOptions {
  /** `[wx, wy, ww, wh]`, the same as for {@link offsetBoxes}. Default `[10, 10, 5, 5]`. */
  weights?: readonly number[];
}

/** `[cx, cy]` and `[w, h]` of float32 corners (inside a tidy). */
function centers(b: tf.Tensor2D): { c: tf.Tensor2D; s: tf.Tensor2D } {
  const lt = tf.slice(b, [0, 0], [-1, 2]);
  const rb = tf.slice(b, [0, 2], [-1, 2]);
  return { c: tf.div(tf.add(lt, rb), 2), s: tf.sub(rb, lt) };
}

/**
 * Offsets of boxes relative to anchors (the regression targets): d2l `offset_boxes` (§13.4.3) with
 * configurable weights. With anchor center `(xa, ya)`, size `(wa, ha)` and box `(xb, yb, wb, hb)`:
 * `[wx·(xb − xa)/wa, wy·(yb − ya)/ha, ww·log(eps + wb/wa), wh·log(eps + hb/ha)]`.
 * A zero-width or zero-height anchor divides by 0 (±Infinity or NaN, as in d2l); a zero-area box gives
 * `ww·log(eps)` (−69.08 with d2l's defaults). Differentiable (tfjs ops).
 *
 * @param anchors `[N, 4]` corners `[x1, y1, x2, y2]`.
 * @param assigned `[N, 4]` corners, the box matched to each anchor.
 * @returns `[N, 4]` float32 offsets.
 */
export function offsetBoxes(
  anchors: tf.Tensor2D,
  assigned: tf.Tensor2D,
  options: OffsetBoxesOptions = {},
): tf.Tensor2D {
  const fn = 'offsetBoxes';
  checkBoxShape(fn, 'anchors', anchors);
  checkBoxShape(fn, 'assigned', assigned);
  if (anchors.shape[0] !== assigned.shape[0]) {
    throw new Error(
      `${fn}: anchors ${shapeOf(anchors.shape)} and assigned ${shapeOf(assigned.shape)} must have the same N`,
    );
  }
  const [wx, wy, ww, wh] = checkWeights(fn, options.weights ?? D2L_BOX_WEIGHTS);
  const eps = checkNumber(fn, 'eps', options.eps ?? D2L_OFFSET_EPS);
  checkCornerValues(fn, 'anchors', readFloat32(anchors), anchors.shape[0]);
  checkCornerValues(fn, 'assigned', readFloat32(assigned), assigned.shape[0]);
  return tf.tidy(() => {
    const a = centers(tf.cast(anchors, 'float32') as tf.Tensor2D);
    const b = centers(tf.cast(assigned, 'float32') as tf.Tensor2D);
    const xy = tf.div(tf.mul(tf.tensor1d([wx, wy]), tf.sub(b.c, a.c)), a.s);
    const wh2 = tf.mul(tf.tensor1d([ww, wh]), tf.log(tf.add(tf.scalar(eps), tf.div(b.s, a.s))));
    return tf.concat([xy, wh2], 1) as tf.Tensor2D;
  });
}

/**
 * Boxes from anchors and predicted offsets, the inverse of {@link offsetBoxes} without the eps:
 * d2l `offset_inverse` (§13.4.4). Center `(ox·wa)/wx + xa`, size `exp(ow/ww)·wa`, returned as corners
 * (`box_center_to_corner`). Large offsets can overflow `exp` to Infinity. Differentiable (tfjs ops).
 *
 * @param anchors `[N, 4]` corners `[x1, y1, x2, y2]`.
 * @param offsets `[N, 4]` finite offsets `[ox, oy, ow, oh]`.
 * @returns `[N, 4]` float32 corners.
 */
export function offsetInverse(
  anchors: tf.Tensor2D,
  offsets: tf.Tensor2D,
  options: OffsetInverseOptions = {},
): tf.Tensor2D {
  const fn = 'offsetInverse';
  checkBoxShape(fn, 'anchors', anchors);
  checkBoxShape(fn, 'offsets', offsets);
  if (anchors.shape[0] !== offsets.shape[0]) {
    throw new Error(
      `${fn}: anchors ${shapeOf(anchors.shape)} and offsets ${shapeOf(offsets.shape)} must have the same N`,
    );
  }
  const [wx, wy, ww, wh] = checkWeights(fn, options.weights ?? D2L_BOX_WEIGHTS);
  checkCornerValues(fn, 'anchors', readFloat32(anchors), anchors.shape[0]);
  checkFinite(fn, 'offsets', readFloat32(offsets), (i) => `offsets[${Math.floor(i / 4)}][${i % 4}]`);
  return tf.tidy(() => {
    const a = centers(tf.cast(anchors, 'float32') as tf.Tensor2D);
    const o = tf.cast(offsets, 'float32') as tf.Tensor2D;
    const oxy = tf.slice(o, [0, 0], [-1, 2]);
    const owh = tf.slice(o, [0, 2], [-1, 2]);
    const c = tf.add(tf.div(tf.mul(oxy, a.s), tf.tensor1d([wx, wy])), a.c);
    const half = tf.mul(tf.mul(tf.exp(tf.div(owh, tf.tensor1d([ww, wh]))), a.s), 0.5);
    return tf.concat([tf.sub(c, half), tf.add(c, half)], 1) as tf.Tensor2D;
  });
}
