import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { DataLoader } from './data-loader.js';
import { ArrayDataset, type Dataset } from './dataset.js';

beforeAll(() => initBackend('cpu', { log: false }));

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect<B>(loader: AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

describe('DataLoader', () => {
  it('batches in order, with a smaller last batch or without it (dropLast)', async () => {
    const ds = new ArrayDataset(range(10));
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = await expectNoLeaks(() => collect(loader));
    expect(batches.map((b) => Array.from(b.dataSync()))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    tf.dispose(batches);
    const dropping = new DataLoader(ds, { batchSize: 4, dropLast: true, collate: (xs) => xs });
    expect(dropping.length).toBe(2);
    expect(await collect(dropping)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(new DataLoader(new ArrayDataset([]), {}).length).toBe(0);
    expect(await collect(new DataLoader(new ArrayDataset([])))).toEqual([]);
  });

  it('shuffles reproducibly from the seed, differently each epoch, and counts epochs', async () => {
    const ds = new ArrayDataset(range(20));
    const opts = { batchSize: 20, shuffle: true, seed: 5, collate: (xs: number[]) => xs };
    const a = new DataLoader(ds, opts);
    const b = new DataLoader(ds, opts);
    expect(a.epoch).toBe(0);
    const a0 = (await collect(a))[0]!;
    const a1 = (await collect(a))[0]!;
    expect(a.epoch).toBe(2);
    expect((await collect(b))[0]).toEqual(a0);
    expect((await collect(b))[0]).toEqual(a1);
    expect(a1).not.toEqual(a0);
    expect([...a0].sort((x, y) => x - y)).toEqual(range(20));
    expect(a0).not.toEqual(range(20));
    expect(a.indices(1)).toEqual(a1);
    const c = new DataLoader(ds, { ...opts, seed: 6 });
    expect((await collect(c))[0]).not.toEqual(a0);
    b.setEpoch(1);
    expect((await collect(b))[0]).toEqual(a1);
  });

  it('loads batch k+1 while the consumer works on batch k (prefetch=1), not before with prefetch=0', async () => {
    const run = async (prefetch: number) => {
      const log: string[] = [];
      const ds: Dataset<number> = {
        length: 3,
        async get(i) {
          log.push(`load ${i}`);
          await sleep(5);
          log.push(`loaded ${i}`);
          return i;
        },
      };
      const loader = new DataLoader(ds, { batchSize: 1, prefetch, collate: (xs) => xs[0]! });
      for await (const k of loader) {
        log.push(`step ${k} start`);
        await sleep(15);
        log.push(`step ${k} end`);
      }
      return log;
    };
    const ahead = await run(1);
    for (const k of [0, 1]) {
      expect(ahead.indexOf(`load ${k + 1}`)).toBeLessThan(ahead.indexOf(`step ${k} start`));
    }
    const lazy = await run(0);
    for (const k of [0, 1]) {
      expect(lazy.indexOf(`load ${k + 1}`)).toBeGreaterThan(lazy.indexOf(`step ${k} end`));
    }
    expect(lazy.filter((e) => e.startsWith('step')).length).toBe(6);
  });

  it('disposes batches loaded ahead when the loop breaks, and leaks nothing', async () => {
    const ds: Dataset<tf.Tensor> = { length: 8, get: async (i) => tf.fill([2], i) };
    const loader = new DataLoader(ds, { batchSize: 2, prefetch: 2 });
    await expectNoLeaks(async () => {
      for await (const batch of loader) {
        expect(batch.shape).toEqual([2, 2]);
        batch.dispose();
        break;
      }
    });
  });

  it('reports a failing item when the consumer reaches its batch, and disposes the other items', async () => {
    const ds: Dataset<tf.Tensor> = {
      length: 4,
      get: async (i) => {
        if (i === 3) throw new Error('bad item 3');
        return tf.scalar(i);
      },
    };
    const loader = new DataLoader(ds, { batchSize: 2 });
    const seen: number[] = [];
    await expectNoLeaks(async () => {
      await expect(
        (async () => {
          for await (const batch of loader) {
            seen.push(...batch.dataSync());
            batch.dispose();
          }
        })(),
      ).rejects.toThrow('bad item 3');
    });
    expect(seen).toEqual([0, 1]);
  });

  it('validates its options', () => {
    const ds = new ArrayDataset([1]);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(
      /DataLoader: batchSize must be an integer ≥ 1, got 0/,
    );
    expect(() => new DataLoader(ds, { prefetch: -1 })).toThrow(
      /DataLoader: prefetch must be an integer ≥ 0, got -1/,
    );
    expect(() => new DataLoader(ds, { seed: 0.5 })).toThrow(/DataLoader: seed must be an integer, got 0.5/);
    expect(() => new DataLoader({} as never)).toThrow(/DataLoader: dataset must have an integer length/);
  });
});
