import { describe, expect, it } from 'vitest';
import { chunkGroups, groupBins, groupSparsePlan, slotBucket } from './grouped-plan.js';

describe('slotBucket', () => {
  it('is exact up to 16, then pads by at most 12.5%', () => {
    for (let n = 1; n <= 16; n++) expect(slotBucket(n)).toBe(n);
    for (let n = 17; n <= 5000; n++) {
      const b = slotBucket(n);
      expect(b).toBeGreaterThanOrEqual(n);
      expect(b).toBeLessThanOrEqual(n * 1.125);
    }
  });
});

describe('groupBins', () => {
  const bins = [[3, 4], [], [7], [1, 2, 5], [8, 9], [6]];
  const plan = groupBins(
    bins.length,
    (b) => bins[b]!.length,
    (b, out, at) => out.set(bins[b]!, at),
  );

  it('groups bins by slot count and puts each in its row of the concatenated outputs', () => {
    expect(plan.groups.map((g) => [g.slots, Array.from(g.bins)])).toEqual([
      [1, [2, 5]],
      [2, [0, 4]],
      [3, [3]],
    ]);
    expect(plan.empty).toBe(5);
    // rows: group 1 → 0, 1; group 2 → 2, 3; group 3 → 4; the empty bin reads row 5
    expect(Array.from(plan.order)).toEqual([2, 5, 0, 4, 3, 1]);
    expect(Array.from(plan.groups[1]!.cells)).toEqual([3, 4, 8, 9]);
  });

  it('pads a bin with its first cell, and weight 0', () => {
    const long = [Array.from({ length: 17 }, (_, i) => 100 + i)];
    const p = groupSparsePlan({
      numBins: 1,
      binStart: Int32Array.from([0, 17]),
      cell: Int32Array.from(long[0]!),
      weight: new Float32Array(17).fill(0.5),
    });
    const g = p.groups[0]!;
    expect(g.slots).toBe(18);
    expect(g.cells[17]).toBe(100);
    expect(g.weights![16]).toBe(0.5);
    expect(g.weights![17]).toBe(0);
  });

  it('chunks every group into runs of bounded size that cover all bins once', () => {
    const chunks = chunkGroups(plan, 4, 16);
    const seen = chunks.flatMap((c) => Array.from(c.group.bins.subarray(c.i0, c.i1)));
    expect(seen.sort()).toEqual([0, 2, 3, 4, 5]);
    for (const c of chunks) expect((c.i1 - c.i0) * c.group.slots * 4 <= 16 || c.i1 - c.i0 === 1).toBe(true);
  });
});
