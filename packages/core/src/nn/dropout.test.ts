import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { Dropout } from './dropout.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('Dropout', () => {
  it('in training zeroes about p of the elements and scales the rest by 1/(1 − p)', () => {
    const drop = new Dropout(0.25);
    const x = tf.fill([4000], 3);
    const y = drop.apply(x);
    const v = Array.from(y.dataSync());
    expect(v.every((e) => e === 0 || Math.abs(e - 4) < 1e-6)).toBe(true);
    const dropped = v.filter((e) => e === 0).length / v.length;
    expect(dropped).toBeGreaterThan(0.2);
    expect(dropped).toBeLessThan(0.3);
    tf.dispose([x, y]);
  });

  it('is the identity in eval mode and for p = 0; p = 1 gives zeros (as PyTorch)', () => {
    const x = tf.tensor1d([1, -2, 3]);
    const e = new Dropout(0.9).eval().apply(x);
    const z = new Dropout(0).apply(x);
    const one = new Dropout(1).apply(x);
    expect(Array.from(e.dataSync())).toEqual([1, -2, 3]);
    expect(Array.from(z.dataSync())).toEqual([1, -2, 3]);
    expect(Array.from(one.dataSync())).toEqual([0, 0, 0]);
    expect(() => new Dropout(1.5)).toThrow(/Dropout: p must be a probability in \[0, 1\], got 1.5/);
    tf.dispose([x, e, z, one]);
  });

  it('passes the gradient through kept elements only, leaking nothing', async () => {
    const drop = new Dropout(0.5);
    const x = tf.variable(tf.ones([200]));
    await expectNoLeaks(() => drop.apply(x).dispose(), { what: 'Dropout forward' });
    await expectNoLeaks(
      () => {
        let y: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          y = tf.keep(drop.apply(x));
          return tf.sum(y) as tf.Scalar;
        }, [x]);
        // y = x·mask/(1−p): the gradient equals y where x = 1.
        expect(Array.from(grads[x.name]!.dataSync())).toEqual(Array.from(y!.dataSync()));
        tf.dispose([value, y!, ...Object.values(grads)]);
      },
      { what: 'Dropout variableGrads' },
    );
    x.dispose();
  });
});
