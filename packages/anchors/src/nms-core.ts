/**
 * Greedy non-maximum suppression on typed arrays (internal), shared by `nms`, `batchedNms` and
 * `multiboxDetection`.
 */
import { f32 } from './box-math.js';

/**
 * Which comparison suppresses a box: `'torchvision'`: `iou > threshold` with the threshold in float64
 * (torchvision's C++ kernel), so a NaN IoU never suppresses; `'d2l'`: `!(iou <= threshold)` with the
 * threshold rounded to float32 (d2l's `iou <= iou_threshold` on a float32 tensor), so a NaN IoU (two
 * zero-area boxes) suppresses. They differ only for NaN IoUs and IoUs within float32 rounding of the
 * threshold.
 */
export type NmsSemantics = 'torchvision' | 'd2l';

/**
 * Indices `0..n-1` ordered by descending score, ties by ascending index: a stable descending sort, what
 * `torch.sort(..., stable=True, descending=True)` gives. Scores must not be NaN; −0 ties with +0. An LSD
 * radix sort (three 11-bit passes, skipping a pass where every key has the same digit) on the float32 bits
 * mapped to unsigned integers that order like the scores: O(n), and stable, so ties keep index order.
 */
export function sortByScoreDesc(scores: ArrayLike<number>, n = scores.length): Int32Array {
  let f: Float32Array;
  if (scores instanceof Float32Array) f = scores;
  else {
    f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = scores[i]!;
  }
  const bits = new Uint32Array(f.buffer, f.byteOffset, n);
  let keys = new Uint32Array(n);
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = bits[i]! === 0x80000000 ? 0 : bits[i]!; // −0 → +0
    // Ascending order of the floats as unsigned integers, then complemented for descending.
    keys[i] = u & 0x80000000 ? u : ~u & 0x7fffffff;
    order[i] = i;
  }
  let keys2 = new Uint32Array(n);
  let order2 = new Int32Array(n);
  const count = new Int32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i]! >>> shift) & 0x7ff]!++;
    if (n === 0 || count[(keys[0]! >>> shift) & 0x7ff] === n) continue;
    let sum = 0;
    for (let b = 0; b < 2048; b++) {
      const c = count[b]!;
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      const at = count[(k >>> shift) & 0x7ff]!++;
      keys2[at] = k;
      order2[at] = order[i]!;
    }
    [keys, keys2] = [keys2, keys];
    [order, order2] = [order2, order];
  }
  return order;
}

function iou(b: Float32Array, a: Float32Array, p: number, q: number): number {
  let w = f32(Math.min(b[p * 4 + 2]!, b[q * 4 + 2]!) - Math.max(b[p * 4]!, b[q * 4]!));
  if (!(w > 0)) w = 0;
  let h = f32(Math.min(b[p * 4 + 3]!, b[q * 4 + 3]!) - Math.max(b[p * 4 + 1]!, b[q * 4 + 1]!));
  if (!(h > 0)) h = 0;
  const inter = f32(w * h);
  return f32(inter / f32(f32(a[p]! + a[q]!) - inter));
}

/**
 * The kept boxes of one size class (width in [2^wl, 2^(wl+1)), height in [2^hl, 2^(hl+1))): a list, and
 * once it holds {@link GRID_AFTER} boxes also a grid of their centres (a linked list per cell).
 */
interface SizeClass {
  list: number[];
  /** The smallest and largest width and height filed here. */
  minW: number;
  maxW: number;
  minH: number;
  maxH: number;
  gx: number;
  gy: number;
  sx: number;
  sy: number;
  head: Int32Array | undefined;
}

const GRID_AFTER = 4;
/** Up to this many kept boxes, a candidate is compared with all of them (the bounds still prefilter). */
const LINEAR_UNTIL = 64;

const cellOf = (v: number, lo: number, s: number, g: number) => {
  const c = Math.floor((v - lo) * s);
  return c < 0 ? 0 : c >= g ? g - 1 : c;
};

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** ⌊log2 x⌋ for a positive normal double, from its exponent bits (Math.log2 for the rest). */
function floorLog2(x: number): number {
  f64[0] = x;
  const e = (u32[1]! >>> 20) & 0x7ff;
  return e === 0 || e === 0x7ff ? Math.floor(Math.log2(x)) : e - 1023;
}

/**
 * Greedy NMS over boxes already in score order (`boxes` packed 4 per row, `areas` their float32 areas):
 * box `j` is kept unless a kept box before it suppresses it. Returns the kept positions, ascending.
 *
 * Same result as torchvision's and d2l's O(N·K) loops, with far fewer comparisons. Since
 * IoU ≤ w_inter / max(w₁, w₂) (and the same for heights) and w_inter ≤ min(w₁, w₂, (w₁ + w₂)/2 − |Δcx|),
 * IoU > t needs widths and heights within a factor t of each other and centres closer than
 * (w₁ + w₂)/2 − t·max(w₁, w₂) in x (at most (1 − t)·w₁ when t ≥ ½), and the same in y. That bound filters
 * every comparison before the IoU is computed. While at most {@link LINEAR_UNTIL} boxes are kept, a
 * candidate is compared with all of them (those of its own size class first); after that only with the kept
 * boxes of compatible size classes (powers of two of width and height) whose centres lie within the bound,
 * filed on a grid per class once it holds a few. A zero-area box (IoU 0, or NaN against another zero-area
 * box) is decided without comparisons. A threshold below 0.001, or sizes that overflowed float32, take the
 * plain loop.
 */
export function greedyNms(
  boxes: Float32Array,
  areas: Float32Array,
  n: number,
  threshold: number,
  semantics: NmsSemantics,
): Int32Array {
  const tv = semantics === 'torchvision';
  const thr32 = f32(threshold);
  const kept = new Int32Array(n);
  let nk = 0;
  let finite = true;
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  let minWl = Number.POSITIVE_INFINITY;
  let maxWl = Number.NEGATIVE_INFINITY;
  let minHl = Number.POSITIVE_INFINITY;
  let maxHl = Number.NEGATIVE_INFINITY;
  const wl = new Int32Array(n);
  const hl = new Int32Array(n);
  // Centres and sizes in float64 (exact for float32 corners of similar magnitude).
  const cxs = new Float64Array(n);
  const cys = new Float64Array(n);
  const ws = new Float64Array(n);
  const hs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = areas[i]!;
    if (!Number.isFinite(a)) finite = false;
    if (a > 0) {
      const o = i * 4;
      const cx = (boxes[o]! + boxes[o + 2]!) / 2;
      const cy = (boxes[o + 1]! + boxes[o + 3]!) / 2;
      cxs[i] = cx;
      cys[i] = cy;
      ws[i] = boxes[o + 2]! - boxes[o]!;
      hs[i] = boxes[o + 3]! - boxes[o + 1]!;
      if (cx < minX) minX = cx;
      if (cy < minY) minY = cy;
      if (cx > maxX) maxX = cx;
      if (cy > maxY) maxY = cy;
      const w = floorLog2(ws[i]!);
      const h = floorLog2(hs[i]!);
      wl[i] = w;
      hl[i] = h;
      if (w < minWl) minWl = w;
      if (w > maxWl) maxWl = w;
      if (h < minHl) minHl = h;
      if (h > maxHl) maxHl = h;
    }
  }
  // Suppression needs IoU > t (torchvision) or > f32(t) (d2l); the bounds use t·(1 − 1e-4), a margin for
  // the float32 rounding of the IoU.
  const t = Math.min(threshold, thr32) * (1 - 1e-4);
  if (!(t >= 0.001) || !finite || maxWl - minWl > 200 || maxHl - minHl > 200) {
    for (let j = 0; j < n; j++) {
      let keep = true;
      for (let k = 0; k < nk; k++) {
        const v = iou(boxes, areas, kept[k]!, j);
        if (tv ? v > threshold : !(v <= thr32)) {
          keep = false;
          break;
        }
      }
      if (keep) kept[nk++] = j;
    }
    return kept.slice(0, nk);
  }
  const nW = maxWl - minWl + 1;
  const rangeX = maxX - minX;
  const rangeY = maxY - minY;
  // Preallocated (packed): one slot per size class.
  const nClasses = maxWl >= minWl ? nW * (maxHl - minHl + 1) : 0; // 0 when no box has positive area
  const classes: (SizeClass | null)[] = new Array<SizeClass | null>(nClasses).fill(null);
  const next = new Int32Array(n);
  const fileInGrid = (c: SizeClass, j: number) => {
    const o = j * 4;
    const cell =
      cellOf((boxes[o + 1]! + boxes[o + 3]!) / 2, minY, c.sy, c.gy) * c.gx +
      cellOf((boxes[o]! + boxes[o + 2]!) / 2, minX, c.sx, c.gx);
    next[j] = c.head![cell]!;
    c.head![cell] = j;
  };
  const file = (j: number, bw: number, bh: number) => {
    const w = wl[j]!;
    const h = hl[j]!;
    const key = (h - minHl) * nW + (w - minWl);
    let c = classes[key];
    if (!c) {
      // Cells of (1 − t)·2^wl: about the search distance into this class from a box of its size.
      const cw = (1 - t) * 2 ** w;
      const ch = (1 - t) * 2 ** h;
      const gx = rangeX > 0 ? Math.max(1, Math.min(128, Math.ceil(rangeX / cw))) : 1;
      const gy = rangeY > 0 ? Math.max(1, Math.min(128, Math.ceil(rangeY / ch))) : 1;
      c = {
        list: [],
        minW: Number.POSITIVE_INFINITY,
        maxW: 0,
        minH: Number.POSITIVE_INFINITY,
        maxH: 0,
        gx,
        gy,
        sx: rangeX > 0 ? gx / rangeX : 0,
        sy: rangeY > 0 ? gy / rangeY : 0,
        head: undefined,
      };
      classes[key] = c;
    }
    if (bw > c.maxW) c.maxW = bw;
    if (bh > c.maxH) c.maxH = bh;
    if (bw < c.minW) c.minW = bw;
    if (bh < c.minH) c.minH = bh;
    c.list.push(j);
    if (c.head) fileInGrid(c, j);
    else if (c.list.length === GRID_AFTER && c.gx * c.gy > 1) {
      c.head = new Int32Array(c.gx * c.gy).fill(-1);
      for (const k of c.list) fileInGrid(c, k);
    }
  };
  /**
   * Whether kept box k can suppress box j (centre cx, cy, size bw × bh) by the bounds above (with a margin),
   * and if so whether it does.
   */
  const SLACK = 1 + 1e-6;
  const pair = (k: number, j: number, cx: number, cy: number, bw: number, bh: number) => {
    const wk = ws[k]!;
    const hk = hs[k]!;
    if (Math.abs(cxs[k]! - cx) > ((bw + wk) * 0.5 - t * Math.max(bw, wk)) * SLACK) return false;
    if (Math.abs(cys[k]! - cy) > ((bh + hk) * 0.5 - t * Math.max(bh, hk)) * SLACK) return false;
    const v = iou(boxes, areas, k, j);
    return tv ? v > threshold : !(v <= thr32);
  };
  /** True if a kept box of class `c` suppresses box j (centre cx, cy, size bw × bh). */
  const suppressedBy = (c: SizeClass, j: number, cx: number, cy: number, bw: number, bh: number) => {
    if (!c.head) {
      const list = c.list;
      for (let e = 0; e < list.length; e++) if (pair(list[e]!, j, cx, cy, bw, bh)) return true;
      return false;
    }
    // |Δc| < (w₁ + w₂)/2 − t·max(w₁, w₂), largest over the class's widths at w₂ = w₁ clamped to them
    // (t ≥ ½), or at the largest (t < ½); with margin.
    const wk = t >= 0.5 ? Math.min(Math.max(bw, c.minW), c.maxW) : c.maxW;
    const hk = t >= 0.5 ? Math.min(Math.max(bh, c.minH), c.maxH) : c.maxH;
    const rx = ((bw + wk) * 0.5 - t * Math.max(bw, wk)) * SLACK;
    const ry = ((bh + hk) * 0.5 - t * Math.max(bh, hk)) * SLACK;
    if (rx < 0 || ry < 0) return false;
    const cx0 = cellOf(cx - rx, minX, c.sx, c.gx);
    const cx1 = cellOf(cx + rx, minX, c.sx, c.gx);
    const cy0 = cellOf(cy - ry, minY, c.sy, c.gy);
    const cy1 = cellOf(cy + ry, minY, c.sy, c.gy);
    const head = c.head;
    // The cell of the centre first: a suppressing box is usually a near duplicate.
    const centre = cellOf(cy, minY, c.sy, c.gy) * c.gx + cellOf(cx, minX, c.sx, c.gx);
    for (let k = head[centre]!; k >= 0; k = next[k]!) if (pair(k, j, cx, cy, bw, bh)) return true;
    for (let gy = cy0; gy <= cy1; gy++) {
      for (let gx = cx0; gx <= cx1; gx++) {
        const cell = gy * c.gx + gx;
        if (cell === centre) continue;
        for (let k = head[cell]!; k >= 0; k = next[k]!) if (pair(k, j, cx, cy, bw, bh)) return true;
      }
    }
    return false;
  };
  let zeroKept = false;
  for (let j = 0; j < n; j++) {
    if (!(areas[j]! > 0)) {
      // IoU 0 with every box of positive area; NaN with a kept zero-area box.
      if (!tv && zeroKept) continue;
      zeroKept = true;
      kept[nk++] = j;
      continue;
    }
    const bw = ws[j]!;
    const bh = hs[j]!;
    const cx = cxs[j]!;
    const cy = cys[j]!;
    const own = (hl[j]! - minHl) * nW + (wl[j]! - minWl);
    const ownClass = classes[own];
    let keep = true;
    if (nk <= LINEAR_UNTIL) {
      // Few kept boxes (the usual case for a detector's output): those of the same size class first (a
      // suppressing box is usually a near duplicate), then all of them, cheaply.
      const list = ownClass?.list;
      if (list) {
        for (let e = 0; e < list.length; e++) {
          if (pair(list[e]!, j, cx, cy, bw, bh)) {
            keep = false;
            break;
          }
        }
      }
      for (let k = 0; keep && k < nk; k++) if (pair(kept[k]!, j, cx, cy, bw, bh)) keep = false;
      if (keep) {
        kept[nk++] = j;
        file(j, bw, bh);
      }
      continue;
    }
    // Size classes whose widths (heights) can be within a factor t of this one's.
    const w0 = Math.max(minWl, floorLog2(bw * t));
    const w1 = Math.min(maxWl, floorLog2(bw / t));
    const h0 = Math.max(minHl, floorLog2(bh * t));
    const h1 = Math.min(maxHl, floorLog2(bh / t));
    keep = !(ownClass && suppressedBy(ownClass, j, cx, cy, bw, bh));
    for (let h = h0; keep && h <= h1; h++) {
      for (let w = w0; w <= w1; w++) {
        const key = (h - minHl) * nW + (w - minWl);
        const c = classes[key];
        if (key === own || !c) continue;
        if (suppressedBy(c, j, cx, cy, bw, bh)) {
          keep = false;
          break;
        }
      }
    }
    if (!keep) continue;
    kept[nk++] = j;
    file(j, bw, bh);
  }
  return kept.slice(0, nk);
}
