import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { Accumulator } from './accumulator.js';

describe('Accumulator (d2l)', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('sums n values per add, like d2l.Accumulator', () => {
    const m = new Accumulator(3);
    m.add(1.5, 2, 4);
    m.add(0.5, 1, 4);
    expect(m.data).toEqual([2, 3, 8]);
    expect(m.get(0) / m.get(2)).toBe(0.25);
    m.reset();
    expect(m.data).toEqual([0, 0, 0]);
  });

  it('adds tensors and numbers with one read, keeping or disposing the tensors', async () => {
    const m = new Accumulator(2);
    const loss = tf.scalar(3.25);
    await expectNoLeaks(() => m.addAsync([loss, 4]));
    expect(loss.isDisposed).toBe(false);
    await m.addAsync([loss, 4], { dispose: true });
    expect(loss.isDisposed).toBe(true);
    expect(m.data).toEqual([6.5, 8]);
  });

  it('validates its arguments', async () => {
    expect(() => new Accumulator(0)).toThrow('Accumulator: n must be an integer ≥ 1, got 0');
    const m = new Accumulator(2);
    expect(() => m.add(1)).toThrow('Accumulator.add: expected 2 values, got 1');
    expect(() => m.get(2)).toThrow('Accumulator.get: index must be an integer in [0, 1], got 2');
    await expect(m.addAsync([1])).rejects.toThrow(
      'Accumulator.addAsync: expected an array of 2 values, got 1 values',
    );
  });
});
