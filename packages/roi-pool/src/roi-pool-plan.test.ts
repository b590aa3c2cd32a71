import { describe, expect, it } from 'vitest';
import { planRoIPool } from './roi-pool-plan.js';

/** The cells of every bin, in bin order. */
function binCells(rois: number[][], H: number, W: number, ph: number, pw: number, scale: number) {
  const plan = planRoIPool(Float32Array.from(rois.flat()), rois.length, {
    batch: 2,
    height: H,
    width: W,
    pooledHeight: ph,
    pooledWidth: pw,
    spatialScale: scale,
  });
  const out: number[][] = Array.from({ length: plan.numBins }, () => []);
  for (const g of plan.groups) {
    g.bins.forEach((bin, i) => {
      const cells = Array.from(g.cells.subarray(i * g.slots, (i + 1) * g.slots));
      out[bin] = [...new Set(cells)];
    });
  }
  return out;
}

describe('planRoIPool', () => {
  it("splits the seed's RoIs as torchvision: bins of floor/ceil edges that may share cells", () => {
    // RoI 2 of d2l §8.2: (0, 10, 30, 30) x 0.1 → cells x 0..3, y 1..3 (3 rows into 2 bins: rows 1-2 and 2-3)
    const cells = binCells([[0, 0, 10, 30, 30]], 4, 4, 2, 2, 0.1);
    expect(cells).toEqual([
      [4, 5, 8, 9],
      [6, 7, 10, 11],
      [8, 9, 12, 13],
      [10, 11, 14, 15],
    ]);
  });

  it('rounds corners half away from zero, as C', () => {
    // x1 = -2.5 → -3 (JavaScript's Math.round gives -2): the RoI starts 3 cells left of the map
    const cells = binCells([[0, -2.5, 0, 0.5, 0]], 1, 4, 1, 4, 1);
    // roi width 1 - (-3) + 1 = 5, bins of 1.25 cells: [-3,-1), [-2,0), [-1,1), [0,2) → clipped
    expect(cells).toEqual([[], [], [0], [0, 1]]);
  });

  it('indexes the RoI batch and leaves bins outside the map empty', () => {
    const cells = binCells([[1, 5, 5, 9, 9]], 3, 3, 1, 1, 1);
    expect(cells).toEqual([[]]);
    expect(binCells([[1, 0, 0, 0, 0]], 3, 3, 1, 1, 1)).toEqual([[9]]);
  });
});
