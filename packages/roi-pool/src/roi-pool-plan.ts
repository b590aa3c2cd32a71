import { f32, roundHalfAway } from './float32.js';
import { type GroupedPlan, groupSparsePlan } from './grouped-plan.js';
import type { CellPlan } from './roi-align-plan.js';

export interface RoIPoolGeometry {
  batch: number;
  height: number;
  width: number;
  pooledHeight: number;
  pooledWidth: number;
  spatialScale: number;
}

/**
 * The cells of every bin of torchvision's `roi_pool` (csrc/ops/cpu/roi_pool_kernel.cpp), in float32 as
 * torchvision computes them: the box corners are scaled and rounded (halves away from zero) to cells, the
 * RoI is at least 1x1, bin `i` of `n` over `size` cells spans `[floor(i·size/n), ceil((i+1)·size/n))` from
 * the RoI's start, clipped to the map; an empty bin pools to 0. Cells are listed in row-major order, so the
 * first maximum is torchvision's `argmax`. Rows index the features flattened to `[N·H·W, C]`.
 */
export function planRoIPoolCells(rois: Float32Array, count: number, g: RoIPoolGeometry): CellPlan {
  const { height: H, width: W, pooledHeight: PH, pooledWidth: PW } = g;
  const scale = f32(g.spatialScale);
  const numBins = count * PH * PW;
  const rowStart = new Int32Array(PH);
  const rowEnd = new Int32Array(PH);
  const colStart = new Int32Array(PW);
  const colEnd = new Int32Array(PW);
  const binStart = new Int32Array(numBins + 1);
  let cell = new Int32Array(Math.max(1024, numBins * 4));
  let taps = 0;
  for (let k = 0; k < count; k++) {
    const base = rois[k * 5]! * H * W;
    const startW = roundHalfAway(f32(rois[k * 5 + 1]! * scale));
    const startH = roundHalfAway(f32(rois[k * 5 + 2]! * scale));
    const endW = roundHalfAway(f32(rois[k * 5 + 3]! * scale));
    const endH = roundHalfAway(f32(rois[k * 5 + 4]! * scale));
    binEdges(startH, Math.max(endH - startH + 1, 1), PH, H, rowStart, rowEnd);
    binEdges(startW, Math.max(endW - startW + 1, 1), PW, W, colStart, colEnd);
    for (let i = 0; i < PH; i++) {
      const h0 = rowStart[i]!;
      const h1 = rowEnd[i]!;
      for (let j = 0; j < PW; j++) {
        const w0 = colStart[j]!;
        const w1 = colEnd[j]!;
        const n = Math.max(h1 - h0, 0) * Math.max(w1 - w0, 0);
        if (taps + n > cell.length) {
          const next = new Int32Array(Math.max(taps + n, cell.length * 2));
          next.set(cell);
          cell = next;
        }
        for (let y = h0; y < h1; y++) {
          const row = base + y * W;
          for (let x = w0; x < w1; x++) cell[taps++] = row + x;
        }
        binStart[(k * PH + i) * PW + j + 1] = taps;
      }
    }
  }
  return { numBins, binStart, cell: cell.slice(0, taps) };
}

/** {@link planRoIPoolCells} grouped by slot count: the plan of the tfjs-ops path. */
export function planRoIPool(rois: Float32Array, count: number, g: RoIPoolGeometry): GroupedPlan {
  return groupSparsePlan(planRoIPoolCells(rois, count, g));
}

/** Bin edges along one axis, clipped to `[0, size]` (torchvision's float32 `floor`/`ceil` of `i·bin`). */
function binEdges(
  start: number,
  roiSize: number,
  pooled: number,
  size: number,
  outStart: Int32Array,
  outEnd: Int32Array,
): void {
  const bin = f32(roiSize / pooled);
  for (let i = 0; i < pooled; i++) {
    const s = Math.floor(f32(i * bin)) + start;
    const e = Math.ceil(f32((i + 1) * bin)) + start;
    outStart[i] = Math.min(Math.max(s, 0), size);
    outEnd[i] = Math.min(Math.max(e, 0), size);
  }
}
