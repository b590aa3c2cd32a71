/**
 * Scalar box arithmetic on typed arrays, rounded to float32 after every operation in the order PyTorch
 * evaluates d2l's and torchvision's expressions (internal). `Math.fround` of a double-precision `+ − × ÷` or
 * `sqrt` of float32 operands is exactly the float32 IEEE result, so these agree bit for bit with PyTorch's
 * CPU kernels except for `log`/`exp` (within an ulp).
 */
export const f32 = Math.fround;

/** Area of corner boxes `[x1, y1, x2, y2]` packed 4 per row: `(x2 − x1)·(y2 − y1)` in float32. */
export function areasOf(boxes: Float32Array, n = boxes.length / 4): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    out[i] = f32(f32(boxes[o + 2]! - boxes[o]!) * f32(boxes[o + 3]! - boxes[o + 1]!));
  }
  return out;
}

/**
 * IoU of box `i` of `a` and box `j` of `b` (torchvision `box_iou` / d2l `box_iou`): the intersection is
 * clamped at 0 in each axis, union = areaA + areaB − inter, IoU = inter / union (NaN for two zero-area
 * boxes, where union = 0).
 */
export function iouAt(
  a: Float32Array,
  areaA: Float32Array,
  i: number,
  b: Float32Array,
  areaB: Float32Array,
  j: number,
): number {
  const p = i * 4;
  const q = j * 4;
  let w = f32(Math.min(a[p + 2]!, b[q + 2]!) - Math.max(a[p]!, b[q]!));
  if (!(w > 0)) w = 0;
  let h = f32(Math.min(a[p + 3]!, b[q + 3]!) - Math.max(a[p + 1]!, b[q + 1]!));
  if (!(h > 0)) h = 0;
  const inter = f32(w * h);
  return f32(inter / f32(f32(areaA[i]! + areaB[j]!) - inter));
}

/** Box-coder weights `[wx, wy, ww, wh]` (d2l: 10, 10, 5, 5) and the eps inside the log (d2l: 1e-6). */
export interface CoderParams {
  wx: number;
  wy: number;
  ww: number;
  wh: number;
  eps: number;
}

export function coderParams(weights: readonly number[], eps: number): CoderParams {
  return {
    wx: f32(weights[0]!),
    wy: f32(weights[1]!),
    ww: f32(weights[2]!),
    wh: f32(weights[3]!),
    eps: f32(eps),
  };
}

/**
 * d2l `offset_boxes` for one anchor/box pair, written to `out[o..o+3]`:
 * `wx·(cx_b − cx_a)/w_a`, `wy·(cy_b − cy_a)/h_a`, `ww·log(eps + w_b/w_a)`, `wh·log(eps + h_b/h_a)`.
 */
export function encodeInto(
  out: Float32Array,
  o: number,
  anchors: Float32Array,
  i: number,
  boxes: Float32Array,
  j: number,
  c: CoderParams,
): void {
  const p = i * 4;
  const q = j * 4;
  const acx = f32(f32(anchors[p]! + anchors[p + 2]!) / 2);
  const acy = f32(f32(anchors[p + 1]! + anchors[p + 3]!) / 2);
  const aw = f32(anchors[p + 2]! - anchors[p]!);
  const ah = f32(anchors[p + 3]! - anchors[p + 1]!);
  const bcx = f32(f32(boxes[q]! + boxes[q + 2]!) / 2);
  const bcy = f32(f32(boxes[q + 1]! + boxes[q + 3]!) / 2);
  const bw = f32(boxes[q + 2]! - boxes[q]!);
  const bh = f32(boxes[q + 3]! - boxes[q + 1]!);
  out[o] = f32(f32(c.wx * f32(bcx - acx)) / aw);
  out[o + 1] = f32(f32(c.wy * f32(bcy - acy)) / ah);
  out[o + 2] = f32(c.ww * f32(Math.log(f32(c.eps + f32(bw / aw)))));
  out[o + 3] = f32(c.wh * f32(Math.log(f32(c.eps + f32(bh / ah)))));
}

/**
 * d2l `offset_inverse` for one anchor/offset pair, written as corners to `out[o..o+3]`:
 * center `(ox·w_a)/wx + cx_a`, size `exp(ow/ww)·w_a`, then `cx ∓ 0.5·w` (`box_center_to_corner`).
 */
export function decodeInto(
  out: Float32Array,
  o: number,
  anchors: Float32Array,
  i: number,
  offsets: Float32Array,
  j: number,
  c: CoderParams,
): void {
  const p = i * 4;
  const q = j * 4;
  const acx = f32(f32(anchors[p]! + anchors[p + 2]!) / 2);
  const acy = f32(f32(anchors[p + 1]! + anchors[p + 3]!) / 2);
  const aw = f32(anchors[p + 2]! - anchors[p]!);
  const ah = f32(anchors[p + 3]! - anchors[p + 1]!);
  const cx = f32(f32(f32(offsets[q]! * aw) / c.wx) + acx);
  const cy = f32(f32(f32(offsets[q + 1]! * ah) / c.wy) + acy);
  const hw = f32(0.5 * f32(f32(Math.exp(f32(offsets[q + 2]! / c.ww))) * aw));
  const hh = f32(0.5 * f32(f32(Math.exp(f32(offsets[q + 3]! / c.wh))) * ah));
  out[o] = f32(cx - hw);
  out[o + 1] = f32(cy - hh);
  out[o + 2] = f32(cx + hw);
  out[o + 3] = f32(cy + hh);
}
