import * as tf from '@tensorflow/tfjs-core';
import { anchorData } from './anchor-cache.js';
import { coderParams, decodeInto, f32 } from './box-math.js';
import { gather } from './nms.js';
import { greedyNms, sortByScoreDesc } from './nms-core.js';
import { D2L_BOX_WEIGHTS } from './offset-boxes.js';
import {
  checkAnchorShape,
  checkFinite,
  checkNumber,
  checkShape,
  checkWeights,
  readFloat32,
  shapeOf,
} from './validate.js';

export interface MultiboxDetectionOptions {
  /** NMS threshold: a box is dropped when its IoU with a kept, higher-scored box exceeds this. Default 0.5. */
  nmsThreshold?: number;
  /** Kept boxes with confidence below this become background (class −1, confidence 1 − p). Default 0.009999999. */
  posThreshold?: number;
  /** Box-coder weights `[wx, wy, ww, wh]` used to decode the offsets. Default d2l's `[10, 10, 5, 5]`. */
  weights?: readonly number[];
}

/**
 * Predicted boxes from class probabilities and offsets: d2l `multibox_detection` (§13.4.4), exactly, on
 * typed arrays.
 *
 * Per image: each anchor's confidence and class are the largest foreground probability and its class
 * (first on ties); its box is `offsetInverse(anchor, offset)`. Class-agnostic NMS over all anchors
 * (d2l's `nms`: keep only boxes with IoU ≤ `nmsThreshold` in float32 against every kept box; NaN IoUs of
 * two zero-area boxes drop the later one, as in d2l) gives the kept boxes. The rows are: the kept boxes by
 * descending confidence, then the others in anchor order with class −1. Finally any row with confidence
 * below `posThreshold` gets class −1 and confidence `1 − confidence`, as d2l does. Tied confidences are
 * visited in anchor order (d2l's `argsort` on PyTorch 1.13's CPU is not stable; without ties the output is
 * identical). No gradient (post-processing).
 *
 * @param clsProbs `[B, C + 1, N]` class probabilities, class 0 the background (d2l's layout: the model's
 *   `[B, N, C + 1]` softmax transposed).
 * @param offsetPreds `[B, 4N]` predicted offsets, 4 per anchor.
 * @param anchors `[1, N, 4]` (or `[N, 4]`) corners `[x1, y1, x2, y2]`.
 * @returns `[B, N, 6]` float32 rows `(class or −1, confidence, x1, y1, x2, y2)`; class is 0-based over the
 *   foreground classes.
 */
export function multiboxDetection(
  clsProbs: tf.Tensor3D,
  offsetPreds: tf.Tensor2D,
  anchors: tf.Tensor,
  options: MultiboxDetectionOptions = {},
): tf.Tensor3D {
  const fn = 'multiboxDetection';
  checkShape(fn, 'clsProbs', clsProbs, [-1, -1, -1], '[B, C + 1, N]');
  const [batch, classes, n] = clsProbs.shape as [number, number, number];
  if (classes < 2) {
    throw new Error(
      `${fn}: clsProbs must have shape [B, C + 1, N] with at least one foreground class (C + 1 ≥ 2), got ${shapeOf(clsProbs.shape)}`,
    );
  }
  checkShape(
    fn,
    'offsetPreds',
    offsetPreds,
    [batch, n * 4],
    `[B, 4N] = [${batch}, ${n * 4}] (clsProbs is ${shapeOf(clsProbs.shape)})`,
  );
  const na = checkAnchorShape(fn, 'anchors', anchors);
  if (na !== n) {
    throw new Error(
      `${fn}: anchors ${shapeOf(anchors.shape)} has N = ${na} but clsProbs ${shapeOf(clsProbs.shape)} has N = ${n}`,
    );
  }
  const nmsThreshold = checkNumber(fn, 'nmsThreshold', options.nmsThreshold ?? 0.5);
  const pos32 = f32(checkNumber(fn, 'posThreshold', options.posThreshold ?? 0.009999999));
  const coder = coderParams(checkWeights(fn, options.weights ?? D2L_BOX_WEIGHTS), 0);
  const anc = anchorData(fn, anchors, n);
  const probs = readFloat32(clsProbs);
  checkFinite(fn, 'clsProbs', probs, (i) => {
    const b = Math.floor(i / (classes * n));
    return `clsProbs[${b}][${Math.floor(i / n) % classes}][${i % n}]`;
  });
  const offs = readFloat32(offsetPreds);
  checkFinite(fn, 'offsetPreds', offs, (i) => `offsetPreds[${Math.floor(i / (4 * n))}][${i % (4 * n)}]`);

  const out = new Float32Array(batch * n * 6);
  const conf = new Float32Array(n);
  const cls = new Int32Array(n);
  const boxes = new Float32Array(n * 4);
  const isKept = new Uint8Array(n);
  for (let b = 0; b < batch; b++) {
    const pb = b * classes * n;
    conf.set(probs.subarray(pb + n, pb + 2 * n));
    cls.fill(0);
    for (let c = 2; c < classes; c++) {
      const row = pb + c * n;
      for (let i = 0; i < n; i++) {
        const v = probs[row + i]!;
        if (v > conf[i]!) {
          conf[i] = v;
          cls[i] = c - 1;
        }
      }
    }
    const offImage = offs.subarray(b * n * 4, (b + 1) * n * 4);
    for (let i = 0; i < n; i++) decodeInto(boxes, i * 4, anc, i, offImage, i, coder);
    const order = sortByScoreDesc(conf, n);
    const { boxes: sb, areas } = gather(boxes, order);
    const keptPos = greedyNms(sb, areas, n, nmsThreshold, 'd2l');
    isKept.fill(0);
    let r = b * n * 6;
    const write = (i: number, kept: boolean) => {
      let p = conf[i]!;
      let c = kept ? cls[i]! : -1;
      if (p < pos32) {
        c = -1;
        p = f32(1 - p);
      }
      out[r] = c;
      out[r + 1] = p;
      out.set(boxes.subarray(i * 4, i * 4 + 4), r + 2);
      r += 6;
    };
    for (let k = 0; k < keptPos.length; k++) {
      const i = order[keptPos[k]!]!;
      isKept[i] = 1;
      write(i, true);
    }
    for (let i = 0; i < n; i++) if (!isKept[i]) write(i, false);
  }
  return tf.tidy(() => tf.tensor3d(out, [batch, n, 6], 'float32'));
}
