import { type MultiboxTargetOptions, multiboxTarget } from '@cv/anchors';
import { checkFinite, type Optimizer, type TrainingPosition } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { calcLoss, type SsdLossOptions } from './loss.js';
import { bboxAbsError, classCorrect } from './metrics.js';
import type { Ssd } from './ssd.js';
import type { SsdStepResult } from './train-step.js';

/** What {@link microStep} computed for one micro-batch (the caller owns and disposes the tensors). */
export interface MicroStepResult {
  /** Gradients of `scale · mean loss`, keyed by variable name (as `tf.variableGrads`). */
  grads: Record<string, tf.Tensor>;
  /** `[3]`: `scale · mean loss`, correctly classified anchors, sum of masked absolute offset errors. */
  sums: tf.Tensor1D;
  /** Anchors per image (N). */
  anchors: number;
  /** Milliseconds spent in `multiboxTarget`. */
  targetMs: number;
}

/**
 * The body of {@link trainStep} for one micro-batch (internal; shared by `trainStep` and the worker threads of
 * `createParallelTrainer`): forward in the model's current mode, `multiboxTarget` labels the anchors,
 * `calcLoss(...).mean()` times `scale` (the micro-batch's share of the batch: `size / batch`; 1 skips the
 * multiplication), its gradients with respect to `params`, and the seed's metrics on the same forward pass.
 * No update. Leaves nothing behind but the returned tensors.
 *
 * @param x `[b, H, W, 3]`. @param y `[b, M, 5]` labels.
 */
export function microStep(
  model: Ssd,
  params: tf.Variable[],
  x: tf.Tensor,
  y: tf.Tensor3D,
  scale: number,
  options: { loss?: SsdLossOptions; target?: MultiboxTargetOptions } = {},
): MicroStepResult {
  let targetMs = 0;
  let n = 0;
  let metrics: tf.Tensor[] = [];
  try {
    const r = tf.variableGrads(() => {
      const out = model.apply(x);
      n = out.anchors.shape[1]!;
      const t0 = performance.now();
      const t = multiboxTarget(out.anchors, y, options.target);
      targetMs += performance.now() - t0;
      metrics = [
        tf.keep(classCorrect(out.clsPreds, t.classLabels)),
        tf.keep(bboxAbsError(out.bboxPreds, t.bboxOffset, t.bboxMask)),
      ];
      const l = tf.mean(
        calcLoss(out.clsPreds, t.classLabels, out.bboxPreds, t.bboxOffset, t.bboxMask, options.loss),
      );
      return (scale === 1 ? l : tf.mul(l, scale)) as tf.Scalar;
    }, params);
    const sums = tf.stack([r.value, ...metrics]) as tf.Tensor1D;
    tf.dispose(r.value);
    return { grads: r.grads, sums, anchors: n, targetMs };
  } finally {
    tf.dispose(metrics);
  }
}

/** `images` `[B, H, W, C]` and `labels` `[B, M, 5]` with the same B, or an error naming `fn` and the shapes. */
export function checkStepInputs(fn: string, images: unknown, labels: unknown): void {
  const shape = (t: unknown) => (t instanceof tf.Tensor ? `[${t.shape}]` : String(t));
  if (!(images instanceof tf.Tensor) || images.rank !== 4) {
    throw new Error(`${fn}: images must be [B, H, W, C], got ${shape(images)}`);
  }
  if (
    !(labels instanceof tf.Tensor) ||
    labels.rank !== 3 ||
    labels.shape[2] !== 5 ||
    labels.shape[0] !== images.shape[0]
  ) {
    throw new Error(`${fn}: labels must be [B, M, 5] with B = ${images.shape[0]}, got ${shape(labels)}`);
  }
}

/**
 * The end of a training step (`trainStep` and the worker threads' step): the summed loss and metrics are read
 * with one awaited read, the NaN guard throws `NonFiniteLossError` before the update, then `optimizer.step`.
 * Does not dispose `grads` or `sums` (the caller's `finally` does).
 */
export async function finishStep(
  optimizer: Optimizer,
  grads: Record<string, tf.Tensor>,
  sums: tf.Tensor[],
  step: { batch: number; anchors: number; targetMs: number; start: number; position?: TrainingPosition },
): Promise<SsdStepResult> {
  const total = tf.tidy(() => tf.addN(sums));
  const values = (await total.data()) as Float32Array;
  total.dispose();
  checkFinite(values[0]!, step.position ?? { epoch: 1 });
  optimizer.step(grads);
  return {
    loss: values[0]!,
    correct: values[1]!,
    anchors: step.batch * step.anchors,
    absError: values[2]!,
    boxEntries: step.batch * step.anchors * 4,
    targetMs: step.targetMs,
    stepMs: performance.now() - step.start,
  };
}
