import { describe, expect, it } from 'vitest';
import goldens from '../../fixtures/data/data-goldens.json';
import { epochSeed, Rng, randomInt, uniform } from './rng.js';

// Known answers: fixtures/data/make_goldens.py (an independent Python mulberry32) -> data-goldens.json.
describe('Rng (mulberry32)', () => {
  it('matches an independent implementation', () => {
    for (const [seed, expected] of Object.entries(goldens.mulberry32)) {
      const rng = new Rng(Number(seed));
      expect(expected.map(() => rng.next())).toEqual(expected);
    }
  });

  it('is deterministic, seed-dependent and uniform-looking', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(Array.from({ length: 10000 }, () => b.next())).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });

  it('draws inclusive integers and permutations', () => {
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(rng.int(2, 5));
    expect([...seen].sort()).toEqual([2, 3, 4, 5]);
    const p = rng.permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => rng.int(3, 2)).toThrow(/Rng.int: expected integers lo ≤ hi, got lo=3, hi=2/);
    expect(() => new Rng(1.5)).toThrow(/Rng: seed must be an integer, got 1.5/);
  });

  it('gives each epoch its own reproducible seed', () => {
    const seeds = [0, 1, 2, 3].map((e) => epochSeed(42, e));
    expect(new Set(seeds).size).toBe(4);
    expect(epochSeed(42, 2)).toBe(seeds[2]);
    expect(epochSeed(43, 0)).not.toBe(seeds[0]);
    expect(() => epochSeed(42, -1)).toThrow(/epochSeed: epoch must be an integer ≥ 0, got -1/);
  });

  it('accepts plain functions as random sources', () => {
    expect(uniform(() => 0.25)()).toBe(0.25);
    expect(randomInt(() => 0.999999, 0, 3)).toBe(3);
    expect(randomInt(new Rng(1), 4, 4)).toBe(4);
  });
});
