import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { Flatten } from './flatten.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('Flatten', () => {
  it("flattens NHWC in PyTorch's (C, H, W) order by default, or in (H, W, C) order", async () => {
    // x[n, h, w, c] = 100n + 10·(2h + w) + c: one image, H = W = 2, C = 3.
    const nhwc = tf.tensor4d([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32], [1, 2, 2, 3]);
    const y = await expectNoLeaks(() => new Flatten().apply(nhwc), { what: 'Flatten forward' });
    expect(Array.from(y.dataSync())).toEqual([0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32]);
    const z = new Flatten({ channelsLast: true }).apply(nhwc);
    expect(Array.from(z.dataSync())).toEqual([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]);
    const v = tf.ones([2, 3, 4]);
    const w = new Flatten().apply(v);
    expect(w.shape).toEqual([2, 12]);
    const scalarLike = tf.scalar(1);
    expect(() => new Flatten().apply(scalarLike)).toThrow(
      /Flatten\.forward: input must be a tensor of rank ≥ 1, got shape \[\]/,
    );
    tf.dispose([nhwc, y, z, v, w, scalarLike]);
  });

  it('passes gradients back in the input layout', async () => {
    const x = tf.variable(tf.tensor4d([1, 2, 3, 4], [1, 2, 1, 2]));
    const weights = tf.tensor2d([[10, 20, 30, 40]]); // PyTorch order: c0h0, c0h1, c1h0, c1h1
    await expectNoLeaks(
      () => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.mul(new Flatten().apply(x), weights)) as tf.Scalar,
          [x],
        );
        expect(Array.from(grads[x.name]!.dataSync())).toEqual([10, 30, 20, 40]);
        tf.dispose([value, ...Object.values(grads)]);
      },
      { what: 'Flatten variableGrads' },
    );
    tf.dispose([x, weights]);
  });
});
