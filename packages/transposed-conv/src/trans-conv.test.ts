import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { convTranspose2d } from './conv-transpose2d.js';
import { readFixture, wave } from './test-utils.js';
import { transConv } from './trans-conv.js';

const seed = readFixture<{ transConv: number[][] }>('seed.json');

/** d2l's loop, literally. */
function loop(X: number[][], K: number[][]): number[][] {
  const Y = Array.from({ length: X.length + K.length - 1 }, () =>
    new Array<number>(X[0]!.length + K[0]!.length - 1).fill(0),
  );
  for (let i = 0; i < X.length; i++)
    for (let j = 0; j < X[0]!.length; j++)
      for (let a = 0; a < K.length; a++)
        for (let b = 0; b < K[0]!.length; b++) Y[i + a]![j + b]! += X[i]![j]! * K[a]![b]!;
  return Y;
}

for (const backend of await testBackends()) {
  describe(`transConv on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it("prints the seed's tensor for X = K = [[0, 1], [2, 3]]", () => {
      const X = tf.tensor2d([
        [0, 1],
        [2, 3],
      ]);
      const y = transConv(X, X);
      expect(y.arraySync()).toEqual([
        [0, 0, 1],
        [0, 4, 6],
        [4, 12, 9],
      ]);
      expect(y.arraySync()).toEqual(seed.transConv);
      tf.dispose([X, y]);
    });

    it("equals d2l's loop and the layer (convTranspose2d with one channel) on other shapes", () => {
      tf.tidy(() => {
        const X = tf.tensor2d(wave(12, 1), [3, 4]);
        const K = tf.tensor2d(wave(6, 2), [2, 3]);
        const y = transConv(X, K);
        expect(y.shape).toEqual([4, 6]);
        expectClose(y, loop(X.arraySync(), K.arraySync()), { rtol: 1e-5, atol: 1e-6 });
        const layer = convTranspose2d(X.reshape([1, 3, 4, 1]), K.reshape([2, 3, 1, 1]));
        expectClose(y, layer.reshape([4, 6]), { rtol: 1e-5, atol: 1e-6 });
      });
    });

    it('is differentiable in X and K (finite differences) and leaks nothing', async () => {
      const X = tf.tensor2d(wave(6, 1), [2, 3]);
      const K = tf.tensor2d(wave(4, 2), [2, 2]);
      const w = tf.tensor2d(wave(12, 3), [3, 4]);
      tf.tidy(() => {
        gradCheck((a, b) => tf.sum(tf.mul(transConv(a as tf.Tensor2D, b as tf.Tensor2D), w)), [X, K], {
          what: 'transConv',
        });
      });
      await expectNoLeaks(() => transConv(X, K));
      tf.dispose([X, K, w]);
    });

    it('rejects non-matrices', () => {
      const t = tf.zeros([1, 2, 2]);
      expect(() => transConv(t as never, tf.zeros([2, 2]) as tf.Tensor2D)).toThrow(
        /transConv: X must have rank 2/,
      );
      t.dispose();
    });
  });
}
