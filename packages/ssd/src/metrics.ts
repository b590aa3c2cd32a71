import * as tf from '@tensorflow/tfjs-core';
import { checkSsdShapes } from './loss.js';

/**
 * The number of anchors whose arg-max class equals the label, as a scalar tensor (float32): d2l's
 * `cls_eval` before `float(...)`. `clsPreds` `[B, N, C + 1]`, `clsLabels` `[B, N]`.
 */
export function classCorrect(clsPreds: tf.Tensor, clsLabels: tf.Tensor): tf.Scalar {
  checkSsdShapes('classCorrect', clsPreds, clsLabels);
  return tf.tidy(() =>
    tf.sum(tf.cast(tf.equal(tf.argMax(clsPreds, -1), tf.cast(clsLabels, 'int32')), 'float32')),
  );
}

/**
 * The sum of masked absolute box-offset errors, as a scalar tensor: d2l's `bbox_eval` before `float(...)`.
 * `bboxPreds`, `bboxLabels`, `bboxMasks` `[B, 4N]`.
 */
export function bboxAbsError(bboxPreds: tf.Tensor, bboxLabels: tf.Tensor, bboxMasks: tf.Tensor): tf.Scalar {
  if (!(bboxPreds instanceof tf.Tensor) || bboxPreds.rank !== 2) {
    throw new Error(
      `bboxAbsError: bboxPreds must have shape [B, 4N], got ${bboxPreds instanceof tf.Tensor ? `[${bboxPreds.shape}]` : String(bboxPreds)}`,
    );
  }
  for (const [name, t] of [
    ['bboxLabels', bboxLabels],
    ['bboxMasks', bboxMasks],
  ] as const) {
    if (
      !(t instanceof tf.Tensor) ||
      t.rank !== 2 ||
      t.shape[0] !== bboxPreds.shape[0] ||
      t.shape[1] !== bboxPreds.shape[1]
    ) {
      throw new Error(
        `bboxAbsError: ${name} must have shape [${bboxPreds.shape}] like bboxPreds, got ${t instanceof tf.Tensor ? `[${t.shape}]` : String(t)}`,
      );
    }
  }
  return tf.tidy(() => tf.sum(tf.abs(tf.mul(tf.sub(bboxLabels, bboxPreds), bboxMasks))));
}

/** d2l's `cls_eval`: the number of correctly classified anchors (a number; reads the device). */
export function classEval(clsPreds: tf.Tensor, clsLabels: tf.Tensor): number {
  const t = classCorrect(clsPreds, clsLabels);
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

/** d2l's `bbox_eval`: the sum of masked absolute offset errors (a number; reads the device). */
export function bboxEval(bboxPreds: tf.Tensor, bboxLabels: tf.Tensor, bboxMasks: tf.Tensor): number {
  const t = bboxAbsError(bboxPreds, bboxLabels, bboxMasks);
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}
