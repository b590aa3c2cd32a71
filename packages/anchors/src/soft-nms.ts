import * as tf from '@tensorflow/tfjs-core';
import { areasOf, iouAt } from './box-math.js';
import { readNmsInputs } from './nms.js';
import { checkNumber } from './validate.js';

export interface SoftNmsOptions {
  /** `'gaussian'` (default): scores decay by `exp(−iou²/sigma)`; `'linear'`: by `1 − iou` when `iou > iouThreshold`. */
  method?: 'gaussian' | 'linear';
  /** Gaussian width. Default 0.5 (Bodla et al.). */
  sigma?: number;
  /** The linear method's overlap threshold. Default 0.3 (Bodla et al.). */
  iouThreshold?: number;
  /** Boxes whose (decayed) score falls below this are dropped. Default 0.001. */
  scoreThreshold?: number;
}

export interface SoftNmsResult {
  /** int32 `[K]`: the selected boxes in selection order (descending decayed score). */
  indices: tf.Tensor1D;
  /** float32 `[K]`: their scores after decay. */
  scores: tf.Tensor1D;
}

/**
 * Soft-NMS (Bodla et al. 2017, "Improving Object Detection With One Line of Code"): instead of discarding
 * boxes that overlap a selected one, their scores decay with the overlap. Repeatedly selects the box of
 * highest current score (ties: lowest index), then multiplies every remaining score by the decay for its
 * IoU with that box and drops scores below `scoreThreshold` (also before the first selection). IoUs are
 * computed as in `boxIou` (float32); a NaN IoU (two zero-area boxes) counts as 0. O(N²); no gradient.
 * torchvision has no soft-NMS; the tests compare with a direct NumPy transcription of this loop.
 *
 * @param boxes `[N, 4]` corners `[x1, y1, x2, y2]`.
 * @param scores `[N]` finite scores.
 */
export function softNms(
  boxes: tf.Tensor2D,
  scores: tf.Tensor1D,
  options: SoftNmsOptions = {},
): SoftNmsResult {
  const fn = 'softNms';
  const { b, s, n } = readNmsInputs(fn, boxes, scores);
  const method = options.method ?? 'gaussian';
  if (method !== 'gaussian' && method !== 'linear') {
    throw new Error(`${fn}: method must be 'gaussian' or 'linear', got '${String(method)}'`);
  }
  const sigma = checkNumber(fn, 'sigma', options.sigma ?? 0.5);
  if (!(sigma > 0)) throw new Error(`${fn}: sigma must be > 0, got ${sigma}`);
  const nt = checkNumber(fn, 'iouThreshold', options.iouThreshold ?? 0.3);
  const minScore = checkNumber(fn, 'scoreThreshold', options.scoreThreshold ?? 0.001);
  const areas = areasOf(b, n);
  const cur = Float64Array.from(s);
  let active: number[] = [];
  for (let i = 0; i < n; i++) if (cur[i]! >= minScore) active.push(i);
  const outIdx: number[] = [];
  const outScore: number[] = [];
  while (active.length > 0) {
    let bestAt = 0;
    for (let t = 1; t < active.length; t++) {
      const i = active[t]!;
      const best = active[bestAt]!;
      if (cur[i]! > cur[best]! || (cur[i]! === cur[best]! && i < best)) bestAt = t;
    }
    const sel = active[bestAt]!;
    outIdx.push(sel);
    outScore.push(cur[sel]!);
    const rest: number[] = [];
    for (const j of active) {
      if (j === sel) continue;
      let ov = iouAt(b, areas, sel, b, areas, j);
      if (Number.isNaN(ov)) ov = 0;
      const w = method === 'gaussian' ? Math.exp(-(ov * ov) / sigma) : ov > nt ? 1 - ov : 1;
      cur[j] = cur[j]! * w;
      if (cur[j]! >= minScore) rest.push(j);
    }
    active = rest;
  }
  return tf.tidy(() => ({
    indices: tf.tensor1d(Int32Array.from(outIdx), 'int32'),
    scores: tf.tensor1d(Float32Array.from(outScore), 'float32'),
  }));
}
