import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, gradCheck, maxDifference, testBackends } from './index.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('expectClose', () => {
  it('accepts values within atol + rtol·|expected|', () => {
    expectClose([1, 2, 1000], [1 + 5e-7, 2, 1000 * (1 + 9e-6)]);
    expectClose(tf.tensor([Number.NaN, 1]), [Number.NaN, 1]);
  });

  it('rejects a value just outside the tolerance and says where', () => {
    expect(() => expectClose([1, 2, 3], [1, 2.01, 3], { what: 'y' })).toThrow(
      /expectClose\(y\): 1 of 3 elements differ beyond atol=0.000001, rtol=0.00001; first at flat index 1: 2 vs expected 2.01/,
    );
    expect(() => expectClose([Number.NaN], [0])).toThrow(/1 of 1 elements differ/);
  });

  it('rejects different shapes', () => {
    expect(() => expectClose(tf.zeros([2, 3]), tf.zeros([3, 2]))).toThrow(
      /shape \[2,3\] differs from expected \[3,2\]/,
    );
  });

  it('reports the largest differences', () => {
    const d = maxDifference([1, 5], [1.5, 4]);
    expect(d.maxAbs).toBe(1);
    expect(d.at).toBe(1);
  });
});

describe('expectNoLeaks', () => {
  it('passes a tidy function and counts returned tensors as the caller’s', async () => {
    const y = await expectNoLeaks(() => tf.tidy(() => tf.add(tf.ones([2]), 1)));
    expect(Array.from(y.dataSync())).toEqual([2, 2]);
    y.dispose();
  });

  it('catches a leaked intermediate', async () => {
    await expect(
      expectNoLeaks(
        () => {
          tf.ones([3]); // leaked
          return 1;
        },
        { what: 'leaky' },
      ),
    ).rejects.toThrow(/expectNoLeaks\(leaky\): leaked 1 tensor/);
  });
});

describe('gradCheck', () => {
  it('agrees with tfjs gradients for a smooth function', () => {
    const x = tf.tensor([0.3, -0.7, 1.2]);
    const report = gradCheck((a) => tf.sum(tf.mul(tf.sin(a), a)), [x]);
    expect(report.checked).toBe(3);
    expect(report.maxRelError).toBeLessThan(1e-2);
  });

  it('catches a wrong custom gradient', () => {
    const wrong = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
      save([a]);
      return { value: tf.square(a), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(dy, s!) }; // should be 2·a
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor) => tf.Tensor;
    expect(() => gradCheck((a) => tf.sum(wrong(a)), [tf.tensor([1, 2])], { what: 'square' })).toThrow(
      /gradCheck\(square\): input 0 element 0: analytic 1 vs numeric 1\.99/,
    );
  });

  it('leaks nothing', async () => {
    const x = tf.tensor([
      [0.1, 0.2],
      [0.3, 0.4],
    ]);
    await expectNoLeaks(() => gradCheck((a) => tf.sum(tf.exp(a)), [x], { maxElements: 2 }));
  });
});

describe('testBackends', () => {
  it('returns the required backends here and refuses a missing required one', async () => {
    const names = await testBackends({ candidates: ['cpu', 'wasm'] });
    expect(names).toEqual(['cpu', 'wasm']);
    await expect(testBackends({ candidates: ['tensorflow'], required: ['tensorflow'] })).rejects.toThrow(
      /tfjs-node/,
    );
  });
});
