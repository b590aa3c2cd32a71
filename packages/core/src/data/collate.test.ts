import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { defaultCollate } from './collate.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('defaultCollate', () => {
  it('stacks tensors and disposes the items it stacked', async () => {
    const items = [tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4]])];
    const batch = await expectNoLeaks(() => defaultCollate(items), { keep: -2 });
    expect(batch.shape).toEqual([2, 1, 2]);
    expect(Array.from(batch.dataSync())).toEqual([1, 2, 3, 4]);
    expect(items.every((t) => t.isDisposed)).toBe(true);
    batch.dispose();
  });

  it('collates tuples and objects of numbers, booleans, strings and typed arrays (PyTorch rules)', async () => {
    const items = [
      {
        image: tf.ones([2, 2, 3]),
        label: 1,
        weight: 0.5,
        ok: true,
        name: 'a',
        box: Float32Array.of(0, 0, 1, 1),
      },
      {
        image: tf.zeros([2, 2, 3]),
        label: 2,
        weight: 1,
        ok: false,
        name: 'b',
        box: Float32Array.of(0.5, 0.5, 1, 1),
      },
    ];
    const batch = await expectNoLeaks(() => defaultCollate(items), { keep: -2 });
    expect(batch.image.shape).toEqual([2, 2, 2, 3]);
    expect(batch.label.dtype).toBe('int32');
    expect(Array.from(batch.label.dataSync())).toEqual([1, 2]);
    expect(batch.weight.dtype).toBe('float32');
    expect(batch.ok.dtype).toBe('bool');
    expect(batch.name).toEqual(['a', 'b']);
    expect(batch.box.shape).toEqual([2, 4]);
    tf.dispose([batch.image, batch.label, batch.weight, batch.ok, batch.box]);

    const tuples: [tf.Tensor, number][] = [
      [tf.scalar(1), 0],
      [tf.scalar(2), 1],
    ];
    const [x, y] = defaultCollate(tuples);
    expect(x.shape).toEqual([2]);
    expect(Array.from(y.dataSync())).toEqual([0, 1]);
    tf.dispose([x, y]);
  });

  it('names the item and path that do not match, leaking and disposing nothing', async () => {
    const a = tf.zeros([2]);
    const b = tf.zeros([3]);
    const c = tf.zeros([1]);
    const d = tf.zeros([1]);
    await expectNoLeaks(() => {
      expect(() => defaultCollate([{ x: [c, a] }, { x: [d, b] }])).toThrow(
        /defaultCollate: item 1 at x\[1\] is a tensor of shape \[3\] \(float32\) but item 0 is a tensor of shape \[2\] \(float32\)/,
      );
    });
    expect([a, b, c, d].some((t) => t.isDisposed)).toBe(false);
    expect(() => defaultCollate([1, 'x'])).toThrow(/defaultCollate: item 1 is string but item 0 is number/);
    expect(() => defaultCollate([])).toThrow(
      /defaultCollate: expected a non-empty array of items, got an empty array/,
    );
    tf.dispose([a, b, c, d]);
  });
});
