import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { ArrayDataset, cloneTensors, mapDataset, TensorDataset } from './dataset.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('ArrayDataset', () => {
  it('reads items by index and hands out tensor clones', async () => {
    const t = tf.tensor1d([1, 2]);
    const ds = new ArrayDataset([
      { x: t, y: 3 },
      { x: t, y: 4 },
    ]);
    expect(ds.length).toBe(2);
    await expectNoLeaks(() => {
      const item = ds.get(1);
      expect(item.y).toBe(4);
      expect(item.x).not.toBe(t);
      expect(Array.from(item.x.dataSync())).toEqual([1, 2]);
      item.x.dispose();
    });
    expect(t.isDisposed).toBe(false);
    expect(() => ds.get(2)).toThrow(/ArrayDataset.get: index 2 is out of range for a dataset of length 2/);
    t.dispose();
  });

  it('cloneTensors leaves non-tensors alone', () => {
    expect(cloneTensors({ a: [1, 'b'], c: null })).toEqual({ a: [1, 'b'], c: null });
  });
});

describe('TensorDataset', () => {
  it('slices tensors along the first axis', async () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = tf.tensor1d([7, 8, 9], 'int32');
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(3);
    await expectNoLeaks(() => {
      const [xi, yi] = ds.get(2);
      expect(xi!.shape).toEqual([2]);
      expect(Array.from(xi!.dataSync())).toEqual([5, 6]);
      expect(yi!.shape).toEqual([]);
      expect(yi!.dataSync()[0]).toBe(9);
      tf.dispose([xi!, yi!]);
    });
    expect(() => new TensorDataset(x, tf.zeros([2]))).toThrow(
      /TensorDataset: tensor 1 has shape \[2\] but tensor 0 has 3 rows/,
    );
    tf.dispose([x, y]);
  });
});

describe('mapDataset', () => {
  it('applies sync and async functions lazily', async () => {
    const base = new ArrayDataset([1, 2, 3]);
    const doubled = mapDataset(base, (v, i) => v * 2 + i * 100);
    expect(doubled.length).toBe(3);
    expect(doubled.get(2)).toBe(206);
    const asyncBase = { length: 2, get: async (i: number) => i + 1 };
    const mapped = mapDataset(asyncBase, async (v) => `#${v}`);
    expect(await mapped.get(1)).toBe('#2');
    expect(() => mapped.get(-1)).toThrow(/mapDataset.get: index -1 is out of range/);
    expect(() => mapDataset({} as never, (x) => x)).toThrow(/mapDataset: dataset must have a numeric length/);
  });
});
