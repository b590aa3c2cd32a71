import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentLoss } from './content-loss.js';
import { gram } from './gram.js';
import { styleLoss } from './style-loss.js';
import { tvLoss } from './tv-loss.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** d2l's tv_loss written out on NHWC data. */
function naiveTv(d: Float32Array | number[], [n, h, w, c]: number[]): number {
  const at = (b: number, i: number, j: number, k: number) => d[((b * h! + i) * w! + j) * c! + k]!;
  const dh: number[] = [];
  const dw: number[] = [];
  for (let b = 0; b < n!; b++)
    for (let i = 0; i < h!; i++)
      for (let j = 0; j < w!; j++)
        for (let k = 0; k < c!; k++) {
          if (i + 1 < h!) dh.push(Math.abs(at(b, i + 1, j, k) - at(b, i, j, k)));
          if (j + 1 < w!) dw.push(Math.abs(at(b, i, j + 1, k) - at(b, i, j, k)));
        }
  return 0.5 * (mean(dh) + mean(dw));
}

for (const backend of await testBackends()) {
  describe(`losses (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('contentLoss is the mean squared difference, with no gradient into the target', async () => {
      const a = tf.randomNormal([1, 3, 4, 5], 0, 1, 'float32', 1);
      const b = tf.randomNormal([1, 3, 4, 5], 0, 1, 'float32', 2);
      const l = await expectNoLeaks(() => contentLoss(a, b));
      const da = a.dataSync();
      const db = b.dataSync();
      expectClose(l, mean([...da].map((v, i) => (v - db[i]!) ** 2)), { rtol: 1e-5 });
      gradCheck((t) => contentLoss(t, b), [a], { what: 'contentLoss' });
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => contentLoss(x, y))([a, b]);
      expect(tf.tidy(() => tf.max(tf.abs(gb!)).dataSync()[0])).toBe(0); // PyTorch's Y.detach()
      expectClose(
        ga!,
        tf.tidy(() => tf.mul(tf.sub(a, b), 2 / a.size)),
        { rtol: 1e-5, atol: 1e-7 },
      );
      tf.dispose([a, b, l, ga!, gb!]);
      expect(() => contentLoss(a, tf.zeros([1, 2]))).toThrow(
        /contentLoss: yHat has shape \[1,3,4,5\] but y has shape \[1,2\]/,
      );
    });

    it('styleLoss compares Gram matrices, with no gradient into the target', async () => {
      const y = tf.randomNormal([1, 4, 3, 3], 0, 1, 'float32', 3);
      const target = tf.tidy(() => gram(tf.randomNormal([1, 5, 5, 3], 0, 1, 'float32', 4)));
      const l = await expectNoLeaks(() => styleLoss(y, target));
      const g = tf.tidy(() => gram(y));
      const dg = g.dataSync();
      const dt = target.dataSync();
      expectClose(l, mean([...dg].map((v, i) => (v - dt[i]!) ** 2)), { rtol: 1e-5 });
      gradCheck((t) => tf.mul(styleLoss(t, target), 100), [y], { what: 'styleLoss' });
      const gt = tf.grad((t: tf.Tensor) => styleLoss(y, t))(target);
      expect(tf.tidy(() => tf.max(tf.abs(gt)).dataSync()[0])).toBe(0);
      expect(() => styleLoss(y, tf.zeros([4, 4]))).toThrow(
        /styleLoss: gram\(yHat\) has shape \[3,3\] but gramY has shape \[4,4\]/,
      );
      tf.dispose([y, target, l, g, gt]);
    });

    it("tvLoss is d2l's total variation, with sign(0) = 0 in its gradient", async () => {
      const x = tf.randomNormal([2, 4, 5, 3], 0, 1, 'float32', 5);
      const l = await expectNoLeaks(() => tvLoss(x));
      expectClose(l, naiveTv(x.dataSync() as Float32Array, x.shape), { rtol: 1e-5 });
      gradCheck((t) => tvLoss(t), [x], { eps: 1e-3, what: 'tvLoss' });
      // A constant image: every difference is 0, so is PyTorch's gradient (tfjs's abs would give −1 there).
      const flat = tf.fill([1, 3, 3, 3], 0.5);
      const g = tf.grad((t: tf.Tensor) => tvLoss(t))(flat);
      expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0])).toBe(0);
      expect(() => tvLoss(tf.zeros([1, 1, 4, 3]))).toThrow(
        /tvLoss: yHat must be \[N, H, W, C\] with H ≥ 2 and W ≥ 2, got shape \[1,1,4,3\]/,
      );
      tf.dispose([x, l, flat, g]);
    });
  });
}
