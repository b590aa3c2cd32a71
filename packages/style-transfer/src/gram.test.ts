import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gram } from './gram.js';

/** d2l's gram written out: G[a][b] = Σ_p x[p, a]·x[p, b] / (C·n). */
function naiveGram(x: tf.Tensor4D): number[][] {
  const [, h, w, c] = x.shape;
  const d = x.dataSync();
  const n = h * w;
  const g = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (let p = 0; p < n; p++)
    for (let a = 0; a < c; a++) for (let b = 0; b < c; b++) g[a]![b]! += d[p * c + a]! * d[p * c + b]!;
  return g.map((row) => row.map((v) => v / (c * n)));
}

for (const backend of await testBackends()) {
  describe(`gram (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('equals XᵀX / (C·H·W) and leaks nothing', async () => {
      const x = tf.randomNormal([1, 5, 7, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
      const g = await expectNoLeaks(() => gram(x));
      expect(g.shape).toEqual([4, 4]);
      expectClose(g, naiveGram(x), { rtol: 1e-5, atol: 1e-6 });
      tf.dispose([x, g]);
    });

    it('has the gradient of its definition (finite differences)', () => {
      const x = tf.randomNormal([1, 3, 4, 3], 0, 1, 'float32', 2);
      const weights = tf.randomNormal([3, 3], 0, 1, 'float32', 3); // a non-symmetric upstream gradient
      gradCheck((t) => tf.sum(tf.mul(gram(t), weights)), [x], { what: 'gram' });
      tf.dispose([x, weights]);
    });

    it('validates its input', () => {
      expect(() => gram(tf.zeros([2, 3, 3, 4]))).toThrow(
        /gram: x must be a feature map \[1, H, W, C\].*got shape \[2,3,3,4\]/,
      );
    });
  });
}
