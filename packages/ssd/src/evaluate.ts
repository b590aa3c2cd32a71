import { multiboxTarget } from '@cv/anchors';
import { type ClassDetection, type ImageAnnotation, vocEvaluate } from '@cv/datasets-voc';
import * as tf from '@tensorflow/tfjs-core';
import { decodeDetections, detectionRows } from './detect.js';
import { calcLoss, type SsdLossOptions } from './loss.js';
import { bboxAbsError, classCorrect } from './metrics.js';
import type { Ssd } from './ssd.js';

/** A detection batch: `{ images, labels }` (as `@cv/datasets-voc` loaders yield) or `[images, labels]`. */
export type DetectionBatch = { images: tf.Tensor; labels: tf.Tensor } | [tf.Tensor, tf.Tensor];

/** Splits a batch into `[images, labels]` with a clear error for anything else. */
export function unpackBatch(fn: string, batch: unknown): [tf.Tensor4D, tf.Tensor3D] {
  let images: unknown;
  let labels: unknown;
  if (Array.isArray(batch)) [images, labels] = batch;
  else if (batch && typeof batch === 'object')
    ({ images, labels } = batch as { images: unknown; labels: unknown });
  if (
    !(images instanceof tf.Tensor) ||
    images.rank !== 4 ||
    !(labels instanceof tf.Tensor) ||
    labels.rank !== 3
  ) {
    throw new Error(
      `${fn}: a batch must be { images [B, H, W, 3], labels [B, M, 5] } or [images, labels], got ${describe(images)} and ${describe(labels)}`,
    );
  }
  return [images as tf.Tensor4D, labels as tf.Tensor3D];
}

function describe(x: unknown): string {
  return x instanceof tf.Tensor ? `[${x.shape}]` : typeof x;
}

export interface EvaluateSsdOptions {
  /** IoU for a detection to match a ground-truth box (VOC's `> 0.5`). Default 0.5. */
  iouThreshold?: number;
  /** Detections below this confidence are dropped before AP. Default 0.01. */
  scoreThreshold?: number;
  /** NMS threshold of `multiboxDetection`. Default 0.5. */
  nmsThreshold?: number;
  /** Detections kept per image. Default 100. */
  maxDetections?: number;
  /** VOC07 11-point AP (default true) or the all-point area. */
  use07Metric?: boolean;
  /** Loss options for the reported validation loss (default: the seed's). */
  loss?: SsdLossOptions;
}

export interface SsdEvaluation {
  /** Mean over classes of VOC AP at `iouThreshold` (AP@0.5 by default). */
  ap: number;
  /** AP per foreground class. */
  apPerClass: number[];
  /** d2l's class error (1 − correct anchors / anchors) and box MAE on this set, eval mode. */
  classError: number;
  bboxMae: number;
  /** Mean of `calcLoss` over the images. */
  loss: number;
  images: number;
}

/**
 * Evaluates a detector on a loader of labelled batches, in eval mode (restored afterwards): one forward pass
 * per batch gives d2l's class error and box MAE (against `multiboxTarget` labels), the loss, and detections
 * (`multiboxDetection`) scored with `@cv/datasets-voc`'s `vocEvaluate` (py-faster-rcnn's `voc_eval` matching,
 * normalized boxes, no difficult objects). Label rows with class −1 are padding.
 */
export async function evaluateSsd(
  model: Ssd,
  loader: AsyncIterable<unknown>,
  options: EvaluateSsdOptions = {},
): Promise<SsdEvaluation> {
  const fn = 'evaluateSsd';
  const {
    iouThreshold = 0.5,
    scoreThreshold = 0.01,
    nmsThreshold = 0.5,
    maxDetections = 100,
    use07Metric = true,
  } = options;
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  const detections: ClassDetection[] = [];
  const annotations: ImageAnnotation[] = [];
  let correct = 0;
  let anchors = 0;
  let absErr = 0;
  let entries = 0;
  let lossSum = 0;
  let count = 0;
  try {
    for await (const batch of loader) {
      const [images, labels] = unpackBatch(fn, batch);
      try {
        const [b, h, w] = images.shape;
        // Awaited reads first: multiboxTarget and multiboxDetection label and decode on the host.
        const lab = await labels.data();
        const { stats, out } = tf.tidy(() => {
          const out = model.apply(images);
          const t = multiboxTarget(out.anchors, labels);
          const stats = tf.stack([
            classCorrect(out.clsPreds, t.classLabels),
            bboxAbsError(out.bboxPreds, t.bboxOffset, t.bboxMask),
            tf.sum(
              calcLoss(out.clsPreds, t.classLabels, out.bboxPreds, t.bboxOffset, t.bboxMask, options.loss),
            ),
          ]);
          const probs = tf.transpose(tf.softmax(out.clsPreds, -1), [0, 2, 1]) as tf.Tensor3D;
          return { stats, out: { probs, bboxPreds: out.bboxPreds, anchors: out.anchors } };
        });
        let rows: tf.Tensor3D;
        try {
          rows = await detectionRows(out.probs, out.bboxPreds, out.anchors, nmsThreshold);
        } finally {
          tf.dispose([out.probs, out.bboxPreds, out.anchors]);
        }
        const n = rows.shape[1];
        const s = await stats.data();
        stats.dispose();
        correct += s[0]!;
        absErr += s[1]!;
        lossSum += s[2]!;
        anchors += b * n;
        entries += b * n * 4;
        const dets = await decodeDetections(rows, w, h, scoreThreshold, maxDetections);
        const m = labels.shape[1];
        for (let i = 0; i < b; i++) {
          const imageId = String(count + i);
          const objects: ImageAnnotation['objects'][number][] = [];
          for (let r = 0; r < m; r++) {
            const o = (i * m + r) * 5;
            if (lab[o] === -1) continue;
            objects.push({ cls: lab[o]!, box: [lab[o + 1]!, lab[o + 2]!, lab[o + 3]!, lab[o + 4]!] });
          }
          annotations.push({ imageId, objects });
          for (const d of dets[i]!)
            detections.push({ imageId, cls: d.classId, score: d.score, box: d.boxNormalized });
        }
        count += b;
      } finally {
        tf.dispose([images, labels]);
      }
    }
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
  if (count === 0) throw new Error(`${fn}: the loader yielded no batch`);
  const result = vocEvaluate(detections, annotations, model.numClasses, {
    iouThreshold,
    use07Metric,
    plusOne: false,
  });
  return {
    ap: result.mAP,
    apPerClass: result.ap,
    classError: 1 - correct / anchors,
    bboxMae: absErr / entries,
    loss: lossSum / count,
    images: count,
  };
}
