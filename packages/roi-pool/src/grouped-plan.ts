import type { CellPlan, SparsePlan } from './roi-align-plan.js';

/**
 * Bins of one slot count: `bins` ids, `cells` `[bins.length, slots]` rows of the flattened features and, for
 * weighted sums, `weights` `[bins.length, slots]` (0 for padding slots).
 */
export interface BinGroup {
  slots: number;
  bins: Int32Array;
  cells: Int32Array;
  weights?: Float32Array;
}

/**
 * Which feature rows each output bin reduces (a maximum or a weighted sum), grouped by slot count so that
 * each group is one `[bins, slots, C]` gather and one pooling. A bin with fewer cells than its group's
 * slots repeats its first cell, with weight 0 in a weighted sum (for a maximum a repeat changes nothing, and
 * the first occurrence stays first). `order[bin]` is the bin's row in the concatenation
 * of the groups' outputs, or `empty` (= that concatenation's length) for a bin with no cell.
 */
export interface GroupedPlan {
  numBins: number;
  groups: BinGroup[];
  order: Int32Array;
  empty: number;
}

/**
 * The slot count a bin of `n` cells is padded to: `n` itself up to 16, then steps of an eighth of the power
 * of two below (at most 12.5% padding), so that bins of similar size share one group.
 */
export function slotBucket(n: number): number {
  if (n <= 16) return n;
  const step = 2 ** (Math.floor(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

/**
 * Groups bins by padded slot count; see {@link GroupedPlan}. `size(bin)` is the number of cells of a bin and
 * `fill(bin, out, at)` writes them, in order, to `out` from index `at`; `fillWeights` likewise writes their
 * weights (padding slots keep weight 0).
 */
export function groupBins(
  numBins: number,
  size: (bin: number) => number,
  fill: (bin: number, out: Int32Array, at: number) => void,
  fillWeights?: (bin: number, out: Float32Array, at: number) => void,
): GroupedPlan {
  const sizes = new Int32Array(numBins);
  let largest = 0;
  for (let bin = 0; bin < numBins; bin++) {
    const n = size(bin);
    sizes[bin] = n;
    if (n > largest) largest = n;
  }
  // Bins per padded slot count, then one group per slot count in use.
  const bucket = new Int32Array(largest + 1);
  for (let n = 1; n <= largest; n++) bucket[n] = slotBucket(n);
  const binsPerSlots = new Int32Array(slotBucket(largest) + 1);
  for (let bin = 0; bin < numBins; bin++) if (sizes[bin]! > 0) binsPerSlots[bucket[sizes[bin]!]!]!++;
  const groups: BinGroup[] = [];
  const groupOf = new Int32Array(binsPerSlots.length);
  // Row of each group's first bin in the concatenation of the groups' outputs.
  const firstRow: number[] = [];
  let rows = 0;
  binsPerSlots.forEach((n, slots) => {
    if (n === 0) return;
    groupOf[slots] = groups.length;
    firstRow.push(rows);
    rows += n;
    const group: BinGroup = { slots, bins: new Int32Array(n), cells: new Int32Array(n * slots) };
    if (fillWeights) group.weights = new Float32Array(n * slots);
    groups.push(group);
  });
  const empty = rows;
  const filled = new Int32Array(groups.length);
  const order = new Int32Array(numBins);
  for (let bin = 0; bin < numBins; bin++) {
    const n = sizes[bin]!;
    if (n === 0) {
      order[bin] = empty;
      continue;
    }
    const gi = groupOf[bucket[n]!]!;
    const group = groups[gi]!;
    const i = filled[gi]!++;
    group.bins[i] = bin;
    const at = i * group.slots;
    fill(bin, group.cells, at);
    group.cells.fill(group.cells[at]!, at + n, at + group.slots);
    if (fillWeights) fillWeights(bin, group.weights!, at);
    order[bin] = firstRow[gi]! + i;
  }
  return { numBins, groups, order, empty };
}

/**
 * A CSR plan (one list of cells per bin, and the weights of a weighted sum) grouped by slot count: the
 * tfjs-ops path of the reductions (the registered kernels take the CSR plan itself).
 */
export function groupSparsePlan(csr: CellPlan | SparsePlan): GroupedPlan {
  const { binStart, cell } = csr;
  const weight = 'weight' in csr ? csr.weight : undefined;
  return groupBins(
    csr.numBins,
    (bin) => binStart[bin + 1]! - binStart[bin]!,
    (bin, out, at) => out.set(cell.subarray(binStart[bin]!, binStart[bin + 1]!), at),
    weight && ((bin, out, at) => out.set(weight.subarray(binStart[bin]!, binStart[bin + 1]!), at)),
  );
}

/** A run of bins `[i0, i1)` of one group. */
export interface GroupChunk {
  group: BinGroup;
  i0: number;
  i1: number;
}

/** Splits every group into runs of at most `elements` gathered values (bins × slots × channels). */
export function chunkGroups(plan: GroupedPlan, channels: number, elements: number): GroupChunk[] {
  const out: GroupChunk[] = [];
  for (const group of plan.groups) {
    const per = Math.max(1, Math.floor(elements / Math.max(group.slots * channels, 1)));
    for (let i0 = 0; i0 < group.bins.length; i0 += per) {
      out.push({ group, i0, i1: Math.min(i0 + per, group.bins.length) });
    }
  }
  return out;
}
