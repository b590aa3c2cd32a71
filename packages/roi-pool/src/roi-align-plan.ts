import { f32 } from './float32.js';

/**
 * The feature rows of every bin in bin-major order (CSR): bin `i` reduces the rows
 * `cell[binStart[i] .. binStart[i+1])` (`binStart` has `numBins + 1` entries, from 0 to `cell.length`).
 */
export interface CellPlan {
  numBins: number;
  binStart: Int32Array;
  cell: Int32Array;
}

/**
 * A sparse `[numBins, rows]` matrix in bin-major order (CSR): bin `i` is the weighted sum of the feature
 * rows `cell[binStart[i] .. binStart[i+1])` with `weight[...]`. Every (bin, cell) pair appears once.
 */
export interface SparsePlan extends CellPlan {
  weight: Float32Array;
}

export interface RoIAlignGeometry {
  height: number;
  width: number;
  pooledHeight: number;
  pooledWidth: number;
  spatialScale: number;
  samplingRatio: number;
  aligned: boolean;
}

/**
 * Grows a CSR plan bin by bin; RoIs from several feature maps (pyramid levels) can go into one plan, each
 * with the row offset of its map in the concatenated features.
 */
export class SparsePlanBuilder {
  #numBins = 0;
  #binStart = new Int32Array(1024);
  #taps = 0;
  #cell = new Int32Array(4096);
  #weight = new Float32Array(4096);
  #rows: AxisTaps | undefined;
  #cols: AxisTaps | undefined;

  /**
   * Appends the `pooledHeight·pooledWidth` bins of one RoI of torchvision's `roi_align`
   * (csrc/ops/cpu/roi_align_kernel.cpp and roi_align_common.h), in float32 as torchvision computes them:
   * corners scaled (minus 0.5 when `aligned`), the RoI at least 1x1 unless `aligned`, `samplingRatio` (or
   * `ceil(roi size / pooled size)` when ≤ 0) samples per bin axis at the centres of a regular grid, each
   * bilinearly interpolated (a sample beyond one cell outside the map is 0, one within it is clamped to the
   * edge), and their mean. The sample weights are separable (row weight × column weight), so each bin is
   * `rows × cols` taps; taps of equal cells are merged and zero weights dropped. `roi` is `(x1, y1, x2, y2)`,
   * `rowOffset` the row of the map's `(batch 0, 0, 0)` in the flattened features `[rows, C]`.
   * `valid = false` appends all-zero bins.
   */
  addRoI(roi: ArrayLike<number>, batch: number, rowOffset: number, g: RoIAlignGeometry, valid = true): void {
    const { height: H, width: W, pooledHeight: PH, pooledWidth: PW, samplingRatio, aligned } = g;
    this.#reserveBins(PH * PW);
    if (!valid) {
      for (let i = 0; i < PH * PW; i++) this.#binStart[++this.#numBins] = this.#taps;
      return;
    }
    const scale = f32(g.spatialScale);
    const offset = aligned ? 0.5 : 0;
    const startW = f32(f32(roi[0]! * scale) - offset);
    const startH = f32(f32(roi[1]! * scale) - offset);
    const endW = f32(f32(roi[2]! * scale) - offset);
    const endH = f32(f32(roi[3]! * scale) - offset);
    let roiW = f32(endW - startW);
    let roiH = f32(endH - startH);
    if (!aligned) {
      roiW = Math.max(roiW, 1);
      roiH = Math.max(roiH, 1);
    }
    const binH = f32(roiH / PH);
    const binW = f32(roiW / PW);
    const gridH = samplingRatio > 0 ? samplingRatio : Math.ceil(binH);
    const gridW = samplingRatio > 0 ? samplingRatio : Math.ceil(binW);
    // torchvision divides by max(gridH·gridW, 1); a grid of ≤ 0 samples gives empty bins.
    const count = Math.max(gridH * gridW, 1);
    if (this.#rows?.start.length !== PH + 1) this.#rows = new AxisTaps(PH);
    if (this.#cols?.start.length !== PW + 1) this.#cols = new AxisTaps(PW);
    const rows = this.#rows;
    const cols = this.#cols;
    rows.compute(startH, binH, gridH, PH, H);
    cols.compute(startW, binW, gridW, PW, W);
    const base = rowOffset + batch * H * W;
    for (let i = 0; i < PH; i++) {
      const r0 = rows.start[i]!;
      const r1 = rows.start[i + 1]!;
      for (let j = 0; j < PW; j++) {
        const c0 = cols.start[j]!;
        const c1 = cols.start[j + 1]!;
        this.#reserveTaps((r1 - r0) * (c1 - c0));
        for (let a = r0; a < r1; a++) {
          const rowBase = base + rows.index[a]! * W;
          const wy = rows.weight[a]! / count;
          for (let b = c0; b < c1; b++) {
            this.#cell[this.#taps] = rowBase + cols.index[b]!;
            this.#weight[this.#taps++] = wy * cols.weight[b]!;
          }
        }
        this.#binStart[++this.#numBins] = this.#taps;
      }
    }
  }

  build(): SparsePlan {
    return {
      numBins: this.#numBins,
      binStart: this.#binStart.slice(0, this.#numBins + 1),
      cell: this.#cell.slice(0, this.#taps),
      weight: this.#weight.slice(0, this.#taps),
    };
  }

  #reserveBins(n: number): void {
    if (this.#numBins + n + 1 <= this.#binStart.length) return;
    const next = new Int32Array(Math.max(this.#numBins + n + 1, this.#binStart.length * 2));
    next.set(this.#binStart);
    this.#binStart = next;
  }

  #reserveTaps(n: number): void {
    if (this.#taps + n <= this.#cell.length) return;
    const size = Math.max(this.#taps + n, this.#cell.length * 2);
    const cell = new Int32Array(size);
    cell.set(this.#cell);
    const weight = new Float32Array(size);
    weight.set(this.#weight);
    this.#cell = cell;
    this.#weight = weight;
  }
}

/** The bilinear taps of the bins along one axis: bin `p` has taps `[start[p], start[p+1])`. */
class AxisTaps {
  start: Int32Array;
  index = new Int32Array(64);
  weight = new Float64Array(64);
  #acc = new Float64Array(0);
  #touched = new Int32Array(0);

  constructor(pooled: number) {
    this.start = new Int32Array(pooled + 1);
  }

  /**
   * For each of `pooled` bins along an axis of `size` cells: the cells its `grid` samples touch and the sum
   * of their bilinear weights (one axis of torchvision's `pre_calc_for_bilinear_interpolate`); merged per
   * cell, in increasing order, zero weights dropped.
   */
  compute(start: number, bin: number, grid: number, pooled: number, size: number): void {
    if (this.#acc.length < size) {
      this.#acc = new Float64Array(size);
      this.#touched = new Int32Array(size);
    }
    const acc = this.#acc;
    const touched = this.#touched;
    let m = 0;
    for (let p = 0; p < pooled; p++) {
      this.start[p] = m;
      let nTouched = 0;
      const binStart = f32(start + f32(p * bin));
      for (let i = 0; i < grid; i++) {
        let y = f32(binStart + f32(f32(f32(i + 0.5) * bin) / grid));
        // Beyond one cell outside the map: the sample is 0 (NaN cannot occur: coordinates are finite).
        if (!(y >= -1 && y <= size)) continue;
        if (y <= 0) y = 0;
        let low = Math.trunc(y);
        let high: number;
        if (low >= size - 1) {
          high = low = size - 1;
          y = low;
        } else {
          high = low + 1;
        }
        const l = f32(y - low);
        const h = f32(1 - l);
        if (h !== 0) {
          if (acc[low] === 0) touched[nTouched++] = low;
          acc[low]! += h;
        }
        if (l !== 0) {
          if (acc[high] === 0) touched[nTouched++] = high;
          acc[high]! += l;
        }
      }
      const list = touched.subarray(0, nTouched).sort();
      if (m + nTouched > this.index.length) this.#grow(m + nTouched);
      for (const cell of list) {
        this.index[m] = cell;
        this.weight[m++] = acc[cell]!;
        acc[cell] = 0;
      }
    }
    this.start[pooled] = m;
  }

  #grow(need: number): void {
    const n = Math.max(need, this.index.length * 2);
    const index = new Int32Array(n);
    index.set(this.index);
    const weight = new Float64Array(n);
    weight.set(this.weight);
    this.index = index;
    this.weight = weight;
  }
}
