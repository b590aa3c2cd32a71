import { BatchNorm2d, Conv2d, initBackend, MaxPool2d } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTraining, conv2dSame, FastBatchNorm2d, FastConv2d, FastMaxPool2d } from './fast-layers.js';

/** Deterministic pseudo-random values (no dependence on the backend's RNG). */
function values(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++)
    out[i] = offset + scale * (2 * ((Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453) % 1) - 1);
  return out;
}

for (const backend of await testBackends()) {
  describe(`FastBatchNorm2d (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('equals @cv/core BatchNorm2d: output, gradients and running statistics, also with a large mean', () => {
      for (const offset of [0, 300]) {
        const x = tf.tensor4d(values(2 * 5 * 6 * 4, 1, 20, offset), [2, 5, 6, 4]);
        const dy = tf.tensor4d(values(2 * 5 * 6 * 4, 2), [2, 5, 6, 4]);
        const ref = new BatchNorm2d(4);
        const fast = new FastBatchNorm2d(4);
        for (const bn of [ref, fast]) {
          bn.weight!.assign(tf.tensor1d([1.5, -0.5, 2, 0.25]));
          bn.bias!.assign(tf.tensor1d([0.1, 0.2, -0.3, 0]));
        }
        const run = (bn: BatchNorm2d) =>
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(
              () => tf.sum(tf.mul(bn.apply(x), dy)) as tf.Scalar,
              [bn.weight!, bn.bias!],
            );
            const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(bn.apply(xi), dy)))(x);
            return [value, grads[bn.weight!.name]!, grads[bn.bias!.name]!, dx];
          });
        const a = run(ref);
        const b = run(fast);
        const names = ['value', 'dweight', 'dbias', 'dx'];
        a.forEach((t, i) => {
          expectClose(b[i]!, t, { rtol: 1e-4, atol: 1e-4, what: `${names[i]} (offset ${offset})` });
        });
        expectClose(fast.runningMean!, ref.runningMean!, { rtol: 1e-5, atol: 1e-5, what: 'running_mean' });
        expectClose(fast.runningVar!, ref.runningVar!, { rtol: 1e-5, atol: 1e-5, what: 'running_var' });
        expect(fast.numBatchesTracked!.dataSync()[0]).toBe(ref.numBatchesTracked!.dataSync()[0]);
        fast.eval();
        ref.eval();
        expectClose(fast.apply(x), ref.apply(x), { rtol: 1e-5, atol: 1e-5, what: 'eval mode' });
        tf.dispose([...a, ...b, x, dy]);
        ref.dispose();
        fast.dispose();
      }
    });

    it('forwardRelu equals relu(BatchNorm2d(x)) with its gradients', () => {
      const x = tf.tensor4d(values(2 * 4 * 4 * 3, 14, 3, 1), [2, 4, 4, 3]);
      const dy = tf.tensor4d(values(2 * 4 * 4 * 3, 15), [2, 4, 4, 3]);
      const ref = new BatchNorm2d(3);
      const fast = new FastBatchNorm2d(3);
      for (const bn of [ref, fast]) bn.bias!.assign(tf.tensor1d([0.2, -0.1, 0]));
      const a = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.relu(ref.apply(xi)), dy)))(x);
      const b = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(fast.forwardRelu(xi), dy)))(x);
      expectClose(b, a, { rtol: 1e-4, atol: 1e-5, what: 'dx' });
      expectClose(fast.forwardRelu(x), tf.relu(ref.apply(x)), { rtol: 1e-5, atol: 1e-5, what: 'value' });
      tf.dispose([x, dy, a, b]);
      ref.dispose();
      fast.dispose();
    });

    it('passes a finite-difference gradient check', () => {
      const x = tf.tensor4d(values(2 * 3 * 3 * 2, 3, 2, 1), [2, 3, 3, 2]);
      const w = tf.tensor1d([1.2, -0.7]);
      const b = tf.tensor1d([0.3, 0.1]);
      const probe = tf.tensor4d(values(2 * 3 * 3 * 2, 4), [2, 3, 3, 2]);
      gradCheck(
        (xi, wi, bi) =>
          tf.sum(
            tf.mul(
              batchNormTraining(xi as tf.Tensor4D, wi as tf.Tensor1D, bi as tf.Tensor1D, 1e-5)[0],
              probe,
            ),
          ),
        [x, w, b],
        {
          eps: 1e-2,
          rtol: 2e-2,
          atol: 2e-3,
          what: 'batchNormTraining',
        },
      );
      tf.dispose([x, w, b, probe]);
    });

    it('leaks no tensor', async () => {
      const bn = new FastBatchNorm2d(3);
      const x = tf.tensor4d(values(2 * 4 * 4 * 3, 5), [2, 4, 4, 3]);
      await expectNoLeaks(() => tf.dispose(tf.grad((xi: tf.Tensor) => tf.sum(bn.apply(xi)))(x)), {
        what: 'FastBatchNorm2d',
      });
      tf.dispose(x);
      bn.dispose();
    });
  });

  describe(`FastMaxPool2d (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('equals @cv/core MaxPool2d(2) after a ReLU: output and gradient (odd sizes too)', async () => {
      for (const [h, w] of [
        [6, 8],
        [5, 7],
      ] as const) {
        const x = tf.relu(tf.tensor4d(values(2 * h * w * 3, 6), [2, h, w, 3]));
        const dy = tf.tensor4d(values(2 * Math.floor(h / 2) * Math.floor(w / 2) * 3, 7), [
          2,
          Math.floor(h / 2),
          Math.floor(w / 2),
          3,
        ]);
        const ref = new MaxPool2d(2);
        const fast = new FastMaxPool2d();
        expectClose(fast.apply(x), ref.apply(x), { what: `forward ${h}x${w}` });
        const g = (m: MaxPool2d) => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(m.apply(tf.relu(xi)), dy)))(x);
        expectClose(g(fast), g(ref), { what: `gradient ${h}x${w}` });
        await expectNoLeaks(() => tf.dispose(g(fast)), { what: 'FastMaxPool2d' });
        tf.dispose([x, dy]);
      }
    });
  });

  describe(`FastConv2d (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('equals @cv/core Conv2d (3x3 and 5x5 "same", with and without bias): output and gradients', async () => {
      for (const [k, bias] of [
        [3, true],
        [5, false],
        [1, true],
      ] as const) {
        const ref = new Conv2d(3, 4, k, { padding: (k - 1) / 2, bias });
        const fast = new FastConv2d(3, 4, k, { padding: (k - 1) / 2, bias });
        fast.loadStateDict(ref.stateDict());
        const x = tf.tensor4d(values(2 * 5 * 6 * 3, 8, 2), [2, 5, 6, 3]);
        const dy = tf.tensor4d(values(2 * 5 * 6 * 4, 9), [2, 5, 6, 4]);
        const grads = (m: Conv2d) =>
          tf.tidy(() => {
            const vars = m.parameters();
            const { value, grads: g } = tf.variableGrads(
              () => tf.sum(tf.mul(m.apply(x), dy)) as tf.Scalar,
              vars,
            );
            const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(m.apply(xi), dy)))(x);
            return [value, dx, ...vars.map((v) => g[v.name]!)];
          });
        const a = grads(ref);
        const b = grads(fast);
        a.forEach((t, i) => {
          expectClose(b[i]!, t, { rtol: 1e-4, atol: 1e-5, what: `k=${k} bias=${bias} #${i}` });
        });
        await expectNoLeaks(() => tf.dispose(grads(fast)), { what: 'FastConv2d' });
        tf.dispose([...a, ...b, x, dy]);
        ref.dispose();
        fast.dispose();
      }
    });

    it('falls back to @cv/core Conv2d for strides, dilations and asymmetric padding', () => {
      const fast = new FastConv2d(3, 4, 3, { padding: 1, stride: 2 });
      const x = tf.tensor4d(values(1 * 6 * 6 * 3, 10), [1, 6, 6, 3]);
      expect(fast.apply(x).shape).toEqual([1, 3, 3, 4]);
      tf.dispose(x);
      fast.dispose();
    });

    it('conv2dSame passes a finite-difference gradient check', () => {
      const x = tf.tensor4d(values(1 * 3 * 3 * 2, 11), [1, 3, 3, 2]);
      const w = tf.tensor4d(values(3 * 3 * 2 * 2, 12, 0.5), [3, 3, 2, 2]);
      const b = tf.tensor1d([0.1, -0.2]);
      const probe = tf.tensor4d(values(1 * 3 * 3 * 2, 13), [1, 3, 3, 2]);
      gradCheck(
        (xi, wi, bi) =>
          tf.sum(tf.mul(conv2dSame(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D), probe)),
        [x, w, b],
        { what: 'conv2dSame' },
      );
      tf.dispose([x, w, b, probe]);
    });
  });
}
