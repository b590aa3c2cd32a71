import { describe, expect, it } from 'vitest';
import { type RoIAlignGeometry, SparsePlanBuilder } from './roi-align-plan.js';

const geometry = (over: Partial<RoIAlignGeometry> = {}): RoIAlignGeometry => ({
  height: 8,
  width: 8,
  pooledHeight: 2,
  pooledWidth: 2,
  spatialScale: 1,
  samplingRatio: 2,
  aligned: false,
  ...over,
});

describe('SparsePlanBuilder', () => {
  it('gives interior bins weights that sum to 1, one tap per cell', () => {
    const b = new SparsePlanBuilder();
    b.addRoI([1.3, 2.1, 6.2, 5.7], 0, 0, geometry());
    const plan = b.build();
    expect(plan.numBins).toBe(4);
    for (let i = 0; i < 4; i++) {
      const cells = plan.cell.subarray(plan.binStart[i]!, plan.binStart[i + 1]!);
      const sum = plan.weight.subarray(plan.binStart[i]!, plan.binStart[i + 1]!).reduce((a, w) => a + w, 0);
      expect(sum).toBeCloseTo(1, 6);
      expect(new Set(cells).size).toBe(cells.length);
    }
  });

  it('offsets cells by the batch and the level row offset; invalid RoIs give empty bins', () => {
    const b = new SparsePlanBuilder();
    b.addRoI([0, 0, 1, 1], 1, 100, geometry({ pooledHeight: 1, pooledWidth: 1, samplingRatio: 1 }));
    b.addRoI([0, 0, 1, 1], 0, 0, geometry(), false);
    const plan = b.build();
    // one sample at (0.5, 0.5): cells (0,0), (0,1), (1,0), (1,1) of batch 1 → rows 100 + 64 + …
    expect(Array.from(plan.cell)).toEqual([164, 165, 172, 173]);
    expect(Array.from(plan.weight)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(plan.numBins).toBe(5);
    expect(plan.binStart[5]).toBe(4);
  });

  it('adapts the grid to the RoI (samplingRatio ≤ 0) and drops zero weights', () => {
    const b = new SparsePlanBuilder();
    // 4x4 cells into 1 bin, adaptive: 4x4 samples at 0.5, 1.5, … → every tap between two cells at 0.5
    b.addRoI([0, 0, 4, 4], 0, 0, geometry({ pooledHeight: 1, pooledWidth: 1, samplingRatio: -1 }));
    const plan = b.build();
    expect(plan.cell.length).toBe(25);
    expect(plan.weight.reduce((a, w) => a + w, 0)).toBeCloseTo(1, 6);
    // integer sample positions (aligned, 1 sample per cell) hit cells exactly: one tap each
    const c = new SparsePlanBuilder();
    c.addRoI(
      [1, 1, 5, 5],
      0,
      0,
      geometry({ pooledHeight: 4, pooledWidth: 4, samplingRatio: 1, aligned: true }),
    );
    expect(c.build().cell.length).toBe(16);
  });
});
