import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { readScalars } from './read-scalars.js';

describe('readScalars', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('reads tensors of any one-element shape and dtype with numbers passed through, in order', async () => {
    const a = tf.scalar(1.5);
    const b = tf.tensor1d([7], 'int32');
    const c = tf.tensor2d([[1]], [1, 1], 'bool');
    const out = await expectNoLeaks(() => readScalars([a, 2, b, c, -3]), { what: 'readScalars' });
    expect(out).toEqual([1.5, 2, 7, 1, -3]);
    expect(a.isDisposed || b.isDisposed || c.isDisposed).toBe(false);
    tf.dispose([a, b, c]);
  });

  it('makes one device read however many tensors it reads', async () => {
    const xs = [tf.scalar(1), tf.scalar(2), tf.scalar(3)];
    const reads: number[] = [];
    const backend = tf.backend() as unknown as { read(id: object): Promise<unknown> };
    const original = backend.read.bind(backend);
    backend.read = (id) => {
      reads.push(1);
      return original(id);
    };
    try {
      expect(await readScalars(xs)).toEqual([1, 2, 3]);
    } finally {
      backend.read = original;
    }
    expect(reads.length).toBe(1);
    tf.dispose(xs);
  });

  it('disposes its inputs on request and makes no read for numbers only', async () => {
    const a = tf.scalar(4);
    await expectNoLeaks(() => readScalars([a], { dispose: true }), { keep: -1 });
    expect(a.isDisposed).toBe(true);
    expect(await readScalars([1, 2])).toEqual([1, 2]);
    expect(await readScalars([])).toEqual([]);
  });

  it('names the bad value', async () => {
    const v = tf.tensor1d([1, 2]);
    await expect(readScalars([1, v])).rejects.toThrow(
      'readScalars: values[1] has shape [2] (2 elements); expected one element',
    );
    await expect(readScalars(['x' as unknown as number])).rejects.toThrow('readScalars: values[0] is string');
    v.dispose();
    await expect(readScalars([v])).rejects.toThrow('values[0] is a disposed tensor');
  });
});
