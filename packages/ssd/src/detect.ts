import { multiboxDetection } from '@cv/anchors';
import * as tf from '@tensorflow/tfjs-core';
import type { Ssd } from './ssd.js';

export interface DetectOptions {
  /** Keep detections with a confidence ≥ this. Default 0.5 (d2l's display uses 0.9 for the best box). */
  scoreThreshold?: number;
  /** Class-agnostic NMS IoU threshold (d2l's `multibox_detection`). Default 0.5. */
  nmsThreshold?: number;
  /** At most this many detections per image, best first. Default 100. */
  maxDetections?: number;
}

/** One detected object. */
export interface Detection {
  /** 0-based foreground class (the model's class `classId + 1`). */
  classId: number;
  /** Softmax probability of that class. */
  score: number;
  /** Pixel corners `[x1, y1, x2, y2]` (normalized corners times the image width/height; not clipped). */
  box: [number, number, number, number];
  /** Normalized corners `[x1, y1, x2, y2]`. */
  boxNormalized: [number, number, number, number];
}

/**
 * Detects objects: the model's forward pass in eval mode (BatchNorm running statistics; the model's mode
 * is restored afterwards), softmax over classes, then `multiboxDetection` (d2l §13.7.3: decode offsets,
 * class-agnostic NMS), keeping rows with a class and a confidence ≥ `scoreThreshold`, best first.
 *
 * @param images `[B, H, W, 3]` as the model was trained on (bananas: float32 0..255), or `[H, W, 3]`.
 * @returns per image, its detections (pixel boxes in the image's own `W`x`H`).
 */
export async function detect(
  model: Ssd,
  images: tf.Tensor,
  options: DetectOptions = {},
): Promise<Detection[][]> {
  const fn = 'detect';
  if (!(images instanceof tf.Tensor) || (images.rank !== 4 && images.rank !== 3)) {
    throw new Error(
      `${fn}: images must be [B, H, W, C] or [H, W, C], got ${images instanceof tf.Tensor ? `[${images.shape}]` : String(images)}`,
    );
  }
  const { scoreThreshold = 0.5, nmsThreshold = 0.5, maxDetections = 100 } = options;
  if (!(typeof scoreThreshold === 'number' && scoreThreshold >= 0 && scoreThreshold <= 1)) {
    throw new Error(`${fn}: options.scoreThreshold must be a number in [0, 1], got ${scoreThreshold}`);
  }
  if (!(typeof nmsThreshold === 'number' && nmsThreshold >= 0 && nmsThreshold <= 1)) {
    throw new Error(`${fn}: options.nmsThreshold must be a number in [0, 1], got ${nmsThreshold}`);
  }
  if (!Number.isInteger(maxDetections) || maxDetections < 0) {
    throw new Error(`${fn}: options.maxDetections must be an integer ≥ 0, got ${maxDetections}`);
  }
  const x = images.rank === 3 ? tf.expandDims(images, 0) : images;
  const [, height, width] = x.shape as [number, number, number, number];
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let rows: tf.Tensor3D;
  try {
    const out = tf.tidy(() => {
      const { anchors, clsPreds, bboxPreds } = model.apply(x);
      return { anchors, bboxPreds, probs: tf.transpose(tf.softmax(clsPreds, -1), [0, 2, 1]) as tf.Tensor3D };
    });
    try {
      rows = await detectionRows(out.probs, out.bboxPreds, out.anchors, nmsThreshold);
    } finally {
      tf.dispose([out.anchors, out.bboxPreds, out.probs]);
    }
  } finally {
    for (const [m, t] of modes) m.training = t;
    if (x !== images) x.dispose();
  }
  return decodeDetections(rows, width, height, scoreThreshold, maxDetections);
}

/**
 * `multiboxDetection` (which decodes and suppresses on the host) after awaited reads of its inputs: every
 * backend has those, and they leave the values on the host for its synchronous reads (tfjs-webgpu in Node has
 * none of its own).
 */
export async function detectionRows(
  probs: tf.Tensor3D,
  bboxPreds: tf.Tensor2D,
  anchors: tf.Tensor3D,
  nmsThreshold: number,
): Promise<tf.Tensor3D> {
  await Promise.all([probs.data(), bboxPreds.data(), anchors.data()]);
  return multiboxDetection(probs, bboxPreds, anchors, { nmsThreshold });
}

/**
 * Turns `multiboxDetection` rows `[B, N, 6]` into per-image detections (class ≥ 0 and confidence ≥
 * `scoreThreshold`, at most `maxDetections`, best first), pixel boxes for a `width`x`height` image. Disposes
 * `rows`.
 */
export async function decodeDetections(
  rows: tf.Tensor3D,
  width: number,
  height: number,
  scoreThreshold: number,
  maxDetections: number,
): Promise<Detection[][]> {
  const [batch, n] = rows.shape as [number, number, number];
  const data = await rows.data();
  rows.dispose();
  const out: Detection[][] = [];
  for (let b = 0; b < batch; b++) {
    const list: Detection[] = [];
    for (let i = 0; i < n && list.length < maxDetections; i++) {
      const o = (b * n + i) * 6;
      const cls = data[o]!;
      const score = data[o + 1]!;
      if (cls < 0 || score < scoreThreshold) continue;
      const nb: [number, number, number, number] = [data[o + 2]!, data[o + 3]!, data[o + 4]!, data[o + 5]!];
      list.push({
        classId: cls,
        score,
        box: [nb[0] * width, nb[1] * height, nb[2] * width, nb[3] * height],
        boxNormalized: nb,
      });
    }
    // Kept rows come first by descending confidence; others are class −1. Sort anyway (stable).
    list.sort((p, q) => q.score - p.score);
    out.push(list);
  }
  return out;
}
