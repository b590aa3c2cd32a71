import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/index.js';
import { expectFreesIntermediates, flat, host, onBoth, toTensor } from './parity-helpers.js';

const CASES: { x: number[]; ids: number[]; n: number }[] = [
  { x: [6], ids: [0, 2, 0, 1, 2, 2], n: 3 },
  { x: [6, 3], ids: [0, 2, 0, -1, 5, 1], n: 4 }, // −1 and 5 are out of range: dropped
  { x: [5, 2, 4], ids: [3, 3, 3, 0, 1], n: 6 }, // empty segments stay zero
  { x: [40, 64], ids: Array.from({ length: 40 }, (_, i) => (i * 7) % 9), n: 9 },
];

describe('UnsortedSegmentSum on wasm', () => {
  it.each(CASES.map((c) => [JSON.stringify(c), c] as const))('equals the CPU backend: %s', async (_, c) => {
    const x = host(c.x, 5);
    const ids = { shape: [c.ids.length], values: Int32Array.from(c.ids) };
    const { cpu, wasm } = await onBoth(() =>
      tf.unsortedSegmentSum(toTensor(x), toTensor(ids) as tf.Tensor1D, c.n),
    );
    expect(wasm.shape).toEqual([c.n, ...c.x.slice(1)]);
    expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0 });
  });

  it('sums int32 values', async () => {
    const { cpu, wasm } = await onBoth(() =>
      tf.unsortedSegmentSum(
        tf.tensor2d(
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          [3, 2],
          'int32',
        ),
        tf.tensor1d([1, 0, 1], 'int32'),
        2,
      ),
    );
    expect(wasm.values).toBeInstanceOf(Int32Array);
    expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
    expect(Array.from(wasm.values)).toEqual([3, 4, 6, 8]);
  });

  it('gives tf.gather its gradient', async () => {
    const table = host([7, 5], 9);
    const grad = () =>
      tf.grad((t: tf.Tensor) =>
        tf
          .gather(t, tf.tensor1d([1, 4, 1, 6, 0], 'int32'))
          .square()
          .sum(),
      )(toTensor(table));
    const { cpu, wasm } = await onBoth(grad);
    expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0 });
  });

  it('leaks no tensor and frees every intermediate', async () => {
    await initBackend('wasm', { log: false });
    const x = tf.ones([6, 3]);
    const ids = tf.tensor1d([0, 2, 0, -1, 5, 1], 'int32');
    const y = await expectFreesIntermediates(() => tf.unsortedSegmentSum(x, ids, 4));
    expect(y.arraySync()).toEqual([
      [2, 2, 2],
      [1, 1, 1],
      [1, 1, 1],
      [0, 0, 0],
    ]);
    tf.dispose([x, ids, y]);
  });
});
