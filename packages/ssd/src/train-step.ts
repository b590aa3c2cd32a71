import type { MultiboxTargetOptions } from '@cv/anchors';
import type { Optimizer, TrainingPosition } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import type { SsdLossOptions } from './loss.js';
import { checkStepInputs, finishStep, microStep } from './micro-step.js';
import type { Ssd } from './ssd.js';

export interface SsdStepOptions {
  /** Loss options (all off by default: the seed's loss). */
  loss?: SsdLossOptions;
  /** `multiboxTarget` options (d2l's IoU 0.5 and box coder by default). */
  target?: MultiboxTargetOptions;
  /** Where in training, named by the NaN guard's error. */
  position?: TrainingPosition;
  /**
   * Split the batch into chunks of at most this many images and accumulate their gradients (weighted by
   * chunk size, so the loss is still the batch mean): the memory of a chunk instead of the batch. BatchNorm
   * then normalises with each chunk's statistics (a "ghost batch"), which differs from one batch of all
   * images. Default: the whole batch (the seed's semantics). The WASM heap (4 GB) holds TinySSD training at
   * 256x256 for about 16 images, not the seed's 32.
   */
  microBatch?: number;
}

/** What one step measured (read from the device once). */
export interface SsdStepResult {
  /** The batch's mean loss (before the update). */
  loss: number;
  /** Correctly classified anchors (d2l's `cls_eval`) and the number of anchors `B·N`. */
  correct: number;
  anchors: number;
  /** Sum of masked absolute offset errors (d2l's `bbox_eval`) and the number of entries `B·4N`. */
  absError: number;
  boxEntries: number;
  /** Milliseconds spent in `multiboxTarget` (CPU labelling) and in the whole step. */
  targetMs: number;
  stepMs: number;
}

/**
 * One training step of the seed's loop (d2l §13.7.2.3): forward (training mode), `multiboxTarget` labels
 * the anchors, `calcLoss(...).mean()`, gradients of every parameter, and `optimizer.step`. The metrics are
 * computed on the same forward pass (before the update), as the seed's. NaN guard: a non-finite loss throws
 * `NonFiniteLossError` before the update, so the parameters stay finite. Leaves no tensor behind.
 *
 * @param images `[B, H, W, 3]`. @param labels `[B, M, 5]` rows `(class, x1, y1, x2, y2)` normalized, class −1
 *   for padding.
 */
export async function trainStep(
  model: Ssd,
  optimizer: Optimizer,
  images: tf.Tensor,
  labels: tf.Tensor,
  options: SsdStepOptions = {},
): Promise<SsdStepResult> {
  const fn = 'trainStep';
  checkStepInputs(fn, images, labels);
  const start = performance.now();
  const batch = images.shape[0]!;
  const micro = options.microBatch ?? batch;
  if (!Number.isInteger(micro) || micro < 1)
    throw new Error(`${fn}: options.microBatch must be an integer ≥ 1, got ${micro}`);
  model.train();
  let targetMs = 0;
  let n = 0;
  // The labels go to the host once (multiboxTarget labels anchors on the CPU): an awaited read, which every
  // backend has (tfjs-webgpu in Node has no synchronous one); micro-batches are sliced there.
  const labelValues = (await labels.data()) as Float32Array;
  const rows = labels.shape[1]!;
  const params = model.parameters();
  let grads: Record<string, tf.Tensor> = {};
  const sums: tf.Tensor[] = [];
  try {
    for (let s0 = 0; s0 < batch; s0 += micro) {
      const size = Math.min(micro, batch - s0);
      const whole = size === batch;
      const x = whole ? images : tf.slice(images, [s0, 0, 0, 0], [size, -1, -1, -1]);
      const y = whole
        ? labels
        : tf.tensor3d(labelValues.subarray(s0 * rows * 5, (s0 + size) * rows * 5), [size, rows, 5]);
      try {
        const r = microStep(model, params, x, y as tf.Tensor3D, whole ? 1 : size / batch, options);
        n = r.anchors;
        targetMs += r.targetMs;
        sums.push(r.sums);
        if (Object.keys(grads).length === 0) grads = r.grads;
        else {
          const next: Record<string, tf.Tensor> = {};
          for (const [k, g] of Object.entries(r.grads)) next[k] = tf.add(grads[k]!, g);
          tf.dispose([...Object.values(grads), ...Object.values(r.grads)]);
          grads = next;
        }
      } finally {
        if (!whole) tf.dispose([x, y]);
      }
    }
    return await finishStep(optimizer, grads, sums, {
      batch,
      anchors: n,
      targetMs,
      start,
      position: options.position,
    });
  } finally {
    tf.dispose([...sums, ...Object.values(grads)]);
  }
}
