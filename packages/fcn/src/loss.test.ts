import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fcnLoss } from './loss.js';

/** Naive reference: per image, mean over non-ignored pixels of −log softmax[label]; summed over images. */
function reference(logits: number[][][][], labels: number[][][], ignore = 255): number {
  let total = 0;
  for (let b = 0; b < logits.length; b++) {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < logits[b]!.length; i++)
      for (let j = 0; j < logits[b]![i]!.length; j++) {
        const t = labels[b]![i]![j]!;
        if (t === ignore) continue;
        const z = logits[b]![i]![j]!;
        const m = Math.max(...z);
        const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
        sum += lse - z[t]!;
        n++;
      }
    total += n > 0 ? sum / n : 0;
  }
  return total;
}

for (const backend of await testBackends()) {
  describe(`${backend}: fcnLoss`, () => {
    beforeAll(async () => {
      await initBackend(backend, { log: false });
    });

    it('is the per-image mean cross entropy over labelled pixels, summed over the batch', async () => {
      const logits = tf.randomNormal([3, 4, 5, 6], 0, 2, 'float32', 7);
      const u = tf.randomUniform([3, 4, 5], 0, 1, 'float32', 8);
      const labels = tf.tidy(() =>
        tf.where(tf.less(u, 0.2), tf.fill([3, 4, 5], 255, 'int32'), tf.cast(tf.floor(tf.mul(u, 6)), 'int32')),
      );
      // image 2: everything ignored → contributes 0
      const lab = tf.tidy(() =>
        tf.concat([tf.slice(labels, [0, 0, 0], [2, -1, -1]), tf.fill([1, 4, 5], 255, 'int32')]),
      );
      const expected = reference(logits.arraySync() as number[][][][], lab.arraySync() as number[][][]);
      const loss = await expectNoLeaks(() => fcnLoss(logits, lab));
      expect(loss.shape).toEqual([]);
      expectClose(loss, expected, { rtol: 1e-5 });
      tf.dispose([logits, u, labels, lab, loss]);
    });

    it('has finite-difference gradients', () => {
      const logits = tf.randomNormal([2, 2, 3, 4], 0, 1, 'float32', 3);
      const labels = tf.tensor3d([0, 1, 255, 3, 2, 2, 1, 255, 0, 3, 3, 1], [2, 2, 3], 'int32');
      gradCheck((z) => fcnLoss(z, labels), [logits], { eps: 1e-2 });
      tf.dispose([logits, labels]);
    });

    it('names the bad shapes', () => {
      const z = tf.zeros([1, 4, 4, 3]);
      const y = tf.zeros([1, 4, 5], 'int32');
      expect(() => fcnLoss(z, y)).toThrow(/fcnLoss: labels must be \[B, H, W\] = \[1,4,4\]/);
      expect(() => fcnLoss(tf.zeros([4, 4, 3]), y)).toThrow(
        /fcnLoss: logits must be \[B, H, W, numClasses\]/,
      );
      tf.dispose([z, y]);
    });
  });
}
