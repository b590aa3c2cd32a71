import * as tf from '@tensorflow/tfjs-core';
import { f32 } from './box-math.js';
import { checkTensor, shapeOf } from './validate.js';

function checkList(fn: string, arg: string, v: unknown): number[] {
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x <= 0)
  ) {
    throw new Error(
      `${fn}: ${arg} must be a non-empty array of positive finite numbers, got ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`,
    );
  }
  return v as number[];
}

/**
 * Anchor boxes centred on every pixel of a feature map: d2l `multibox_prior` (§13.4.1), exactly.
 *
 * With sizes `s1..sn` and ratios `r1..rm`, each pixel gets `n + m − 1` boxes: `(s_i, r1)` for every size,
 * then `(s1, r_j)` for `j ≥ 2`. A box has width `s·√r·H/W` and height `s/√r` (normalized coordinates; the
 * `H/W` factor, as in d2l, makes `s` the height fraction and `r` the pixel aspect ratio on a non-square
 * map), centred at `((x + 0.5)/W, (y + 0.5)/H)`. Boxes are listed pixel by pixel in row-major order, the
 * `n + m − 1` boxes of a pixel together, and may extend beyond [0, 1] (they are not clipped).
 * Computed on the CPU in float32 in d2l's order of operations; not differentiable (it needs no gradient).
 *
 * @param featureMap `[B, H, W, C]` (NHWC; only `H` and `W` are used, never the values).
 * @param sizes box sizes in (0, 1], e.g. `[0.75, 0.5, 0.25]`.
 * @param ratios width/height ratios, e.g. `[1, 2, 0.5]`.
 * @returns `[1, H·W·(n + m − 1), 4]` float32 corners `[x1, y1, x2, y2]`.
 */
export function multiboxPrior(
  featureMap: tf.Tensor4D,
  sizes: readonly number[],
  ratios: readonly number[],
): tf.Tensor3D {
  const fn = 'multiboxPrior';
  checkTensor(fn, 'featureMap', featureMap);
  if (featureMap.rank !== 4) {
    throw new Error(
      `${fn}: featureMap must have shape [B, H, W, C] (NHWC), got ${shapeOf(featureMap.shape)}`,
    );
  }
  const s = checkList(fn, 'sizes', sizes);
  const r = checkList(fn, 'ratios', ratios);
  const [, height, width] = featureMap.shape as number[];
  const per = s.length + r.length - 1;
  // Half widths and heights of the `per` boxes of a pixel (torch: float32 tensors, python scalars cast).
  const hw = new Float32Array(per);
  const hh = new Float32Array(per);
  const sqrt0 = f32(Math.sqrt(f32(r[0]!)));
  for (let k = 0; k < per; k++) {
    const size = f32(k < s.length ? s[k]! : s[0]!);
    const sq = k < s.length ? sqrt0 : f32(Math.sqrt(f32(r[k - s.length + 1]!)));
    const w = f32(f32(f32(size * sq) * height!) / width!);
    const h = f32(size / sq);
    hw[k] = f32(w / 2);
    hh[k] = f32(h / 2);
  }
  const stepH = f32(1 / height!);
  const stepW = f32(1 / width!);
  const out = new Float32Array(height! * width! * per * 4);
  let o = 0;
  for (let y = 0; y < height!; y++) {
    const cy = f32((y + 0.5) * stepH);
    for (let x = 0; x < width!; x++) {
      const cx = f32((x + 0.5) * stepW);
      for (let k = 0; k < per; k++) {
        out[o++] = f32(cx - hw[k]!);
        out[o++] = f32(cy - hh[k]!);
        out[o++] = f32(cx + hw[k]!);
        out[o++] = f32(cy + hh[k]!);
      }
    }
  }
  return tf.tidy(() => tf.tensor3d(out, [1, height! * width! * per, 4], 'float32'));
}
