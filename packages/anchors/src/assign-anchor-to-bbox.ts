import * as tf from '@tensorflow/tfjs-core';
import { areasOf, f32, iouAt } from './box-math.js';
import { checkBoxShape, checkCornerValues, checkNumber, readFloat32 } from './validate.js';

/**
 * An index of a set of anchors (internal), built once per anchors tensor (see `anchor-cache.ts`) and shared
 * by every image: the anchors of positive area grouped by area (half-octave bins), each group bucketed on a
 * grid by centre, with the centres and sizes in float64.
 */
export interface AnchorIndex {
  anchors: Float32Array;
  areas: Float32Array;
  n: number;
  cx: Float64Array;
  cy: Float64Array;
  w: Float64Array;
  h: Float64Array;
  groups: AnchorGroup[];
}

interface AnchorGroup {
  minArea: number;
  maxArea: number;
  minW: number;
  maxW: number;
  minH: number;
  maxH: number;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
  gx: number;
  gy: number;
  sx: number;
  sy: number;
  /** CSR: the anchors of cell c are items[start[c] .. start[c + 1]). */
  start: Int32Array;
  items: Int32Array;
}

export function indexAnchors(anchors: Float32Array, n: number): AnchorIndex {
  const areas = areasOf(anchors, n);
  const cx = new Float64Array(n);
  const cy = new Float64Array(n);
  const w = new Float64Array(n);
  const h = new Float64Array(n);
  const byKey = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const p = i * 4;
    cx[i] = (anchors[p]! + anchors[p + 2]!) / 2;
    cy[i] = (anchors[p + 1]! + anchors[p + 3]!) / 2;
    w[i] = anchors[p + 2]! - anchors[p]!;
    h[i] = anchors[p + 3]! - anchors[p + 1]!;
    const a = areas[i]!;
    if (!(a > 0) || !Number.isFinite(a)) continue; // IoU 0 (or NaN) with everything: see assignArrays
    const key = Math.floor(2 * Math.log2(a));
    const list = byKey.get(key);
    if (list) list.push(i);
    else byKey.set(key, [i]);
  }
  const groups: AnchorGroup[] = [];
  for (const members of byKey.values()) {
    const g = {
      minArea: Number.POSITIVE_INFINITY,
      maxArea: 0,
      minW: Number.POSITIVE_INFINITY,
      maxW: 0,
      minH: Number.POSITIVE_INFINITY,
      maxH: 0,
      minX: Number.POSITIVE_INFINITY,
      maxX: Number.NEGATIVE_INFINITY,
      minY: Number.POSITIVE_INFINITY,
      maxY: Number.NEGATIVE_INFINITY,
    };
    for (const i of members) {
      g.minArea = Math.min(g.minArea, areas[i]!);
      g.maxArea = Math.max(g.maxArea, areas[i]!);
      g.minW = Math.min(g.minW, w[i]!);
      g.maxW = Math.max(g.maxW, w[i]!);
      g.minH = Math.min(g.minH, h[i]!);
      g.maxH = Math.max(g.maxH, h[i]!);
      g.minX = Math.min(g.minX, cx[i]!);
      g.maxX = Math.max(g.maxX, cx[i]!);
      g.minY = Math.min(g.minY, cy[i]!);
      g.maxY = Math.max(g.maxY, cy[i]!);
    }
    // Cells of about a quarter of the group's smallest side.
    const rangeX = g.maxX - g.minX;
    const rangeY = g.maxY - g.minY;
    const gx = rangeX > 0 ? Math.max(1, Math.min(128, Math.ceil((4 * rangeX) / g.minW))) : 1;
    const gy = rangeY > 0 ? Math.max(1, Math.min(128, Math.ceil((4 * rangeY) / g.minH))) : 1;
    const sx = rangeX > 0 ? gx / rangeX : 0;
    const sy = rangeY > 0 ? gy / rangeY : 0;
    const cellOf = (i: number) =>
      clampCell((cy[i]! - g.minY) * sy, gy) * gx + clampCell((cx[i]! - g.minX) * sx, gx);
    const start = new Int32Array(gx * gy + 1);
    for (const i of members) start[cellOf(i) + 1]!++;
    for (let c = 0; c < gx * gy; c++) start[c + 1]! += start[c]!;
    const fill = start.slice(0, gx * gy);
    const items = new Int32Array(members.length);
    for (const i of members) items[fill[cellOf(i)]!++] = i;
    groups.push({ ...g, gx, gy, sx, sy, start, items });
  }
  return { anchors, areas, n, cx, cy, w, h, groups };
}

function clampCell(v: number, g: number): number {
  const c = Math.floor(v);
  return c < 0 ? 0 : c >= g ? g - 1 : c;
}

/** Reusable buffers for {@link assignArrays} (internal); rows are reset after use, not per call. */
export interface AssignScratch {
  /** Dense columns, `dense[j·n + i]`, written only for the columns computed in full. */
  dense: Float32Array;
  /** The computed entries of the other columns: anchor index and IoU. */
  pairIdx: Int32Array;
  pairVal: Float32Array;
  rowVal: Float64Array;
  rowArg: Int32Array;
  rowNaN: Uint8Array;
  rowDone: Uint8Array;
  rowSeen: Uint8Array;
  seen: Int32Array;
}

export function assignScratch(n: number, m: number): AssignScratch {
  return {
    dense: new Float32Array(n * m),
    pairIdx: new Int32Array(Math.max(64, 2 * n)),
    pairVal: new Float32Array(Math.max(64, 2 * n)),
    rowVal: new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
    rowArg: new Int32Array(n).fill(-1),
    rowNaN: new Uint8Array(n),
    rowDone: new Uint8Array(n),
    rowSeen: new Uint8Array(n),
    seen: new Int32Array(n),
  };
}

/**
 * d2l `assign_anchor_to_bbox` on typed arrays (internal): `out[i]` = the ground-truth box assigned to
 * anchor `i`, or −1. `gt` holds `m` boxes packed 4 per row; `scratch` must fit `n × m`.
 *
 * Same result as d2l's tensor code, ties and NaN included: the threshold pass takes each anchor's first
 * maximal IoU (torch `max(dim=1)`; a NaN in the row makes the maximum NaN, which is below any threshold);
 * then, `m` times, the pair with the largest remaining IoU — NaN counts as largest, ties go to the first
 * in row-major order (torch `argmax`) — is assigned and its row and column are discarded. Once every
 * anchor is discarded (more boxes than anchors) d2l's argmax falls on the all-(−1) matrix and assigns
 * anchor 0 to box 0 again, and so does this.
 *
 * Work saved, not results. For a threshold t > 0, IoU ≥ t needs min(area)/max(area) ≥ t and (as
 * IoU ≤ w_inter / max(w_a, w_b) and w_inter ≤ (w_a + w_b)/2 − |Δcx|) centres closer than
 * (w_a + w_b)/2 − t·max(w_a, w_b) in x, and the same in y; so each box first gets the IoUs of the few anchors
 * within those bounds (through the anchor index), and every other IoU is below t: it can neither pass the
 * threshold pass nor beat a computed value ≥ t. When the greedy pass needs a column whose best remaining
 * computed IoU v is below the level its pairs were computed for, the column is computed again for level v
 * (every pair that can reach v), or for half the level when nothing is left, and finally for every
 * overlapping anchor (the other IoUs are exactly 0, and among zeros the first remaining anchor is the
 * maximum). A zero-area box (IoU NaN with a
 * zero-area anchor) gets every IoU computed, and so does every box when t ≤ 0. The cost is a few pairs per
 * box, not n·m.
 */
export function assignArrays(
  index: AnchorIndex,
  gt: Float32Array,
  m: number,
  iouThreshold: number,
  scratch: AssignScratch,
  out: Int32Array,
): Int32Array {
  const { anchors, areas: anchorAreas, n, cx: acx, cy: acy, w: aw, h: ah } = index;
  out.fill(-1, 0, n);
  if (m === 0 || n === 0) return out;
  const { dense, rowVal, rowArg, rowNaN, rowDone, rowSeen, seen } = scratch;
  let { pairIdx, pairVal } = scratch;
  const gtAreas = areasOf(gt, m);
  const thr = f32(iouThreshold);
  // The first level: IoU ≥ the threshold (in float32 or float64, whichever is lower). The bounds use
  // level·(1 − 1e-4): a margin for the float32 rounding of the IoU.
  const level0 = Math.min(thr, iouThreshold);
  const SLACK = 1 + 1e-6;
  const INF = Number.POSITIVE_INFINITY;
  const colVal = new Float64Array(m);
  const colBest = new Int32Array(m);
  /** Every pair of IoU ≥ colLevel[j] is in column j's list (0: every positive IoU); −1: dense. */
  const colLevel = new Float64Array(m);
  const colDone = new Uint8Array(m);
  const colStart = new Int32Array(m);
  const colEnd = new Int32Array(m);
  let nSeen = 0;
  let used = 0;
  const push = (i: number, v: number) => {
    if (used === pairIdx.length) {
      const ni = new Int32Array(used * 2);
      ni.set(pairIdx);
      const nv = new Float32Array(used * 2);
      nv.set(pairVal);
      scratch.pairIdx = pairIdx = ni;
      scratch.pairVal = pairVal = nv;
    }
    pairIdx[used] = i;
    pairVal[used++] = v;
  };
  /** An entry of column j, in increasing j order for each row: the row's first maximum and NaN flag. */
  const rowUpdate = (i: number, j: number, v: number) => {
    if (!rowSeen[i]) {
      rowSeen[i] = 1;
      seen[nSeen++] = i;
    }
    if (Number.isNaN(v)) rowNaN[i] = 1;
    else if (v > rowVal[i]!) {
      rowVal[i] = v;
      rowArg[i] = j;
    }
  };
  /** IoU of anchor i and the box (gx1, gy1, gx2, gy2) of area ga if they overlap (d2l's formula), else 0. */
  const iouOf = (i: number, gx1: number, gy1: number, gx2: number, gy2: number, ga: number) => {
    const p = i * 4;
    const w = f32(Math.min(anchors[p + 2]!, gx2) - Math.max(anchors[p]!, gx1));
    if (!(w > 0)) return 0;
    const h = f32(Math.min(anchors[p + 3]!, gy2) - Math.max(anchors[p + 1]!, gy1));
    if (!(h > 0)) return 0;
    const inter = f32(w * h);
    return f32(inter / f32(f32(anchorAreas[i]! + ga) - inter));
  };
  /**
   * Column j's IoUs for the anchors of the index that can reach IoU ≥ level (the bounds above, with the
   * margin), or for every overlapping anchor when level is 0.
   */
  const query = (j: number, level: number) => {
    const tight = level > 0;
    const t = level * (1 - 1e-4);
    const gx1 = gt[j * 4]!;
    const gy1 = gt[j * 4 + 1]!;
    const gx2 = gt[j * 4 + 2]!;
    const gy2 = gt[j * 4 + 3]!;
    const ga = gtAreas[j]!;
    const gw = gx2 - gx1;
    const gh = gy2 - gy1;
    const gcx = (gx1 + gx2) / 2;
    const gcy = (gy1 + gy2) / 2;
    const margin = 1e-9 * (1 + Math.abs(gcx) + Math.abs(gcy) + gw + gh);
    colStart[j] = used;
    for (const g of index.groups) {
      let rx: number;
      let ry: number;
      if (tight) {
        if (g.maxArea < ga * t || g.minArea * t > ga) continue;
        // The largest (w_a + w_b)/2 − t·max(w_a, w_b) over the group's widths.
        const wa = t >= 0.5 ? Math.min(Math.max(gw, g.minW), g.maxW) : g.maxW;
        const ha = t >= 0.5 ? Math.min(Math.max(gh, g.minH), g.maxH) : g.maxH;
        rx = ((wa + gw) / 2 - t * Math.max(wa, gw)) * SLACK + margin;
        ry = ((ha + gh) / 2 - t * Math.max(ha, gh)) * SLACK + margin;
        if (rx < 0 || ry < 0) continue;
      } else {
        rx = (g.maxW + gw) / 2 + margin;
        ry = (g.maxH + gh) / 2 + margin;
      }
      if (gcx + rx < g.minX || gcx - rx > g.maxX || gcy + ry < g.minY || gcy - ry > g.maxY) continue;
      const cx0 = clampCell((gcx - rx - g.minX) * g.sx, g.gx);
      const cx1 = clampCell((gcx + rx - g.minX) * g.sx, g.gx);
      const cy0 = clampCell((gcy - ry - g.minY) * g.sy, g.gy);
      const cy1 = clampCell((gcy + ry - g.minY) * g.sy, g.gy);
      const { start, items } = g;
      for (let cy = cy0; cy <= cy1; cy++) {
        const e1 = start[cy * g.gx + cx1 + 1]!;
        for (let e = start[cy * g.gx + cx0]!; e < e1; e++) {
          const i = items[e]!;
          if (tight) {
            const wa = aw[i]!;
            const ha = ah[i]!;
            if (Math.abs(acx[i]! - gcx) > ((wa + gw) / 2 - t * Math.max(wa, gw)) * SLACK + margin) continue;
            if (Math.abs(acy[i]! - gcy) > ((ha + gh) / 2 - t * Math.max(ha, gh)) * SLACK + margin) continue;
          }
          const v = iouOf(i, gx1, gy1, gx2, gy2, ga);
          if (v > 0) push(i, v);
        }
      }
    }
    colEnd[j] = used;
    colLevel[j] = level;
  };
  /** Column j's first maximum over the rows left (NaN largest). */
  const scanColumn = (j: number) => {
    let cv = Number.NEGATIVE_INFINITY;
    let cb = -1;
    if (colLevel[j]! < 0) {
      const base = j * n;
      for (let i = 0; i < n; i++) {
        if (rowDone[i]) continue;
        const v = dense[base + i]!;
        const key = Number.isNaN(v) ? INF : v;
        if (key > cv) {
          cv = key;
          cb = i;
        }
      }
    } else {
      for (let e = colStart[j]!; e < colEnd[j]!; e++) {
        const i = pairIdx[e]!;
        if (rowDone[i]) continue;
        const v = pairVal[e]!;
        if (v > cv || (v === cv && i < cb)) {
          cv = v;
          cb = i;
        }
      }
      if (colLevel[j] === 0 && !(cv > 0)) {
        // Every other IoU is 0: the first anchor left.
        cv = 0;
        cb = 0;
        while (rowDone[cb]) cb++;
      }
    }
    colVal[j] = cv;
    colBest[j] = cb;
  };

  for (let j = 0; j < m; j++) {
    const ga = gtAreas[j]!;
    if (ga > 0 && level0 > 0 && Number.isFinite(ga)) {
      query(j, level0);
      for (let e = colStart[j]!; e < colEnd[j]!; e++) rowUpdate(pairIdx[e]!, j, pairVal[e]!);
    } else {
      const base = j * n;
      for (let i = 0; i < n; i++) {
        const v = iouAt(anchors, anchorAreas, i, gt, gtAreas, j);
        dense[base + i] = v;
        rowUpdate(i, j, v);
      }
      colLevel[j] = -1;
    }
  }
  // Threshold pass: only rows with an entry ≥ t can be assigned.
  for (let k = 0; k < nSeen; k++) {
    const i = seen[k]!;
    if (!rowNaN[i] && rowVal[i]! >= thr) out[i] = rowArg[i]!;
  }
  for (let j = 0; j < m; j++) scanColumn(j);
  const done: number[] = [];
  for (let step = 0; step < m; step++) {
    if (done.length === n) {
      // All of jaccard is −1: torch.argmax gives flat index 0.
      out[0] = 0;
      continue;
    }
    let b = -1;
    let bv = Number.NEGATIVE_INFINITY;
    let bflat = INF;
    for (let j = 0; j < m; j++) {
      if (colDone[j]) continue;
      // A best computed value below the column's level may hide an uncomputed one as large or larger.
      while (colLevel[j]! > 0 && !(colVal[j]! >= colLevel[j]!)) {
        // Down to the best value left, or halve the level when nothing is left (0 below 0.05).
        const lower = colVal[j]! > 0 ? colVal[j]! : colLevel[j]! / 2;
        query(j, lower >= 0.05 ? lower : 0);
        scanColumn(j);
      }
      const v = colVal[j]!;
      const flat = colBest[j]! * m + j;
      if (v > bv || (v === bv && flat < bflat)) {
        bv = v;
        bflat = flat;
        b = j;
      }
    }
    const a = colBest[b]!;
    out[a] = b;
    colDone[b] = 1;
    rowDone[a] = 1;
    done.push(a);
    for (let j = 0; j < m; j++) if (!colDone[j] && colBest[j] === a) scanColumn(j);
  }
  // Leave the per-row buffers clean for the next image.
  for (let k = 0; k < nSeen; k++) {
    const i = seen[k]!;
    rowSeen[i] = 0;
    rowNaN[i] = 0;
    rowVal[i] = Number.NEGATIVE_INFINITY;
    rowArg[i] = -1;
  }
  for (const a of done) rowDone[a] = 0;
  return out;
}

/**
 * Assigns ground-truth boxes to anchors: d2l `assign_anchor_to_bbox` (§13.4.2), exactly (ties and the
 * degenerate cases included, see below).
 *
 * Each anchor first takes the ground-truth box of largest IoU if that IoU is ≥ `iouThreshold`. Then, once
 * per ground-truth box, the (anchor, box) pair with the largest IoU among the anchors and boxes not yet
 * picked in this pass is assigned (overriding the first pass), so every box gets at least one anchor.
 * Ties go to the first maximum in row-major (anchor, box) order, as `torch.argmax`.
 *
 * Degenerate cases: a zero-area box has IoU 0 with every anchor of positive area (it is still given the
 * anchor that the second pass reaches), and IoU NaN with a zero-area anchor, which d2l's argmax picks first.
 * With more boxes than anchors, d2l's loop ends by assigning box 0 to anchor 0 again; so does this.
 * No gradient (a labelling step).
 *
 * @param groundTruth `[M, 4]` corners `[x1, y1, x2, y2]` (M may be 0: nothing assigned).
 * @param anchors `[N, 4]` corners.
 * @param iouThreshold default 0.5 (compared in float32, as PyTorch compares a float32 tensor with a scalar).
 * @returns int32 `[N]`: the index of the assigned box, or −1.
 */
export function assignAnchorToBbox(
  groundTruth: tf.Tensor2D,
  anchors: tf.Tensor2D,
  iouThreshold = 0.5,
): tf.Tensor1D {
  const fn = 'assignAnchorToBbox';
  checkBoxShape(fn, 'groundTruth', groundTruth, 'M');
  checkBoxShape(fn, 'anchors', anchors);
  checkNumber(fn, 'iouThreshold', iouThreshold);
  const gt = readFloat32(groundTruth);
  const anc = readFloat32(anchors);
  const m = groundTruth.shape[0];
  const n = anchors.shape[0];
  checkCornerValues(fn, 'groundTruth', gt, m);
  checkCornerValues(fn, 'anchors', anc, n);
  const out = assignArrays(indexAnchors(anc, n), gt, m, iouThreshold, assignScratch(n, m), new Int32Array(n));
  return tf.tidy(() => tf.tensor1d(out, 'int32'));
}
