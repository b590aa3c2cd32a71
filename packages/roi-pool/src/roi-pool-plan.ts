import { f32, roundHalfAway } from './float32.js';
import { type GroupedPlan, groupBins } from './grouped-plan.js';

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
export function planRoIPool(rois: Float32Array, count: number, g: RoIPoolGeometry): GroupedPlan {
  const { height: H, width: W, pooledHeight: PH, pooledWidth: PW } = g;
  const scale = f32(g.spatialScale);
  const numBins = count * PH * PW;
  // Per bin: first row of the map's batch, row range, column range.
  const rect = new Int32Array(numBins * 5);
  const rowStart = new Int32Array(PH);
  const rowEnd = new Int32Array(PH);
  const colStart = new Int32Array(PW);
  const colEnd = new Int32Array(PW);
  for (let k = 0; k < count; k++) {
    const b = rois[k * 5]!;
    const startW = roundHalfAway(f32(rois[k * 5 + 1]! * scale));
    const startH = roundHalfAway(f32(rois[k * 5 + 2]! * scale));
    const endW = roundHalfAway(f32(rois[k * 5 + 3]! * scale));
    const endH = roundHalfAway(f32(rois[k * 5 + 4]! * scale));
    binEdges(startH, Math.max(endH - startH + 1, 1), PH, H, rowStart, rowEnd);
    binEdges(startW, Math.max(endW - startW + 1, 1), PW, W, colStart, colEnd);
    for (let i = 0; i < PH; i++) {
      for (let j = 0; j < PW; j++) {
        const o = ((k * PH + i) * PW + j) * 5;
        rect[o] = b * H * W;
        rect[o + 1] = rowStart[i]!;
        rect[o + 2] = rowEnd[i]!;
        rect[o + 3] = colStart[j]!;
        rect[o + 4] = colEnd[j]!;
      }
    }
  }
  return groupBins(
    numBins,
    (bin) => {
      const o = bin * 5;
      return Math.max(rect[o + 2]! - rect[o + 1]!, 0) * Math.max(rect[o + 4]! - rect[o + 3]!, 0);
    },
    (bin, out, at) => {
      const o = bin * 5;
      const base = rect[o]!;
      const w0 = rect[o + 3]!;
      const w1 = rect[o + 4]!;
      for (let y = rect[o + 1]!; y < rect[o + 2]!; y++) {
        const row = base + y * W;
        for (let x = w0; x < w1; x++) out[at++] = row + x;
      }
    },
  );
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
