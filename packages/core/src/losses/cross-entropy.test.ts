// Golden values: fixtures/losses/losses.json, made by fixtures/losses/make_losses.py (PyTorch 1.13 CPU,
// F.cross_entropy on logits permuted to NCHW; gradients permuted back to NHWC).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '../testing/index.js';
import { crossEntropy } from './cross-entropy.js';
import type { Reduction } from './validate.js';

interface CeCase {
  name: string;
  logits: string;
  target: string;
  reduction: Reduction;
  ignoreIndex: number;
  labelSmoothing: number;
  weight?: number[];
  coef?: unknown;
  loss: unknown;
  grad: unknown;
}
const fx = JSON.parse(readFileSync(new URL('../../fixtures/losses/losses.json', import.meta.url), 'utf8'));
const inputs = fx.inputs as Record<string, number | number[]>;
const cases = fx.crossEntropy as CeCase[];

for (const backend of await testBackends()) {
  describe(`crossEntropy on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each(cases.map((c) => [c.name, c] as const))('matches PyTorch: %s', async (_name, c) => {
      const logits = tf.tensor(inputs[c.logits]!);
      const target = tf.tensor(inputs[c.target]!, undefined, 'int32');
      const options = {
        reduction: c.reduction,
        ignoreIndex: c.ignoreIndex,
        labelSmoothing: c.labelSmoothing,
        ...(c.weight ? { weight: c.weight } : {}),
      };
      const coef = c.coef === undefined ? undefined : tf.tensor(c.coef as number[]);
      const loss = await expectNoLeaks(() => crossEntropy(logits, target, options), { what: c.name });
      expectClose(loss, c.loss as number[], { what: `${c.name} loss` });
      const grad = await expectNoLeaks(() =>
        tf.grad((x: tf.Tensor) => {
          const l = crossEntropy(x, target, options);
          return coef ? tf.sum(tf.mul(l, coef)) : l;
        })(logits),
      );
      expectClose(grad, c.grad as number[], { what: `${c.name} grad` });
      tf.dispose([logits, target, loss, grad, coef as tf.Tensor]);
    });

    it('gives NaN for a mean over no non-ignored element, as PyTorch does', () => {
      expect(fx.crossEntropyAllIgnoredMeanIsNaN).toBe(true);
      const loss = crossEntropy(tf.ones([5, 3]), tf.fill([5], -100, 'int32'));
      expect(Number.isNaN(loss.dataSync()[0])).toBe(true);
      const sum = crossEntropy(tf.ones([5, 3]), tf.fill([5], -100, 'int32'), { reduction: 'sum' });
      expect(sum.dataSync()[0]).toBe(0);
    });

    it('is numerically stable for huge logits', () => {
      const logits = tf.tensor2d([
        [1000, -1000, 0],
        [-5e4, 5e4, 1],
      ]);
      const loss = crossEntropy(logits, tf.tensor1d([0, 0], 'int32'), { reduction: 'none' });
      expectClose(loss, [0, 1e5], { what: 'stable' });
    });

    it('agrees with finite differences (weights + smoothing + ignore)', () => {
      const logits = tf.tensor(inputs.seg!).slice([0, 0, 0, 0], [1, 2, 2, 4]);
      const target = tf.tensor(inputs.segTarget!, undefined, 'int32').slice([0, 0, 0], [1, 2, 2]);
      gradCheck((x) => crossEntropy(x, target, { weight: [0.5, 2, 1, 3], labelSmoothing: 0.3 }), [logits], {
        what: 'crossEntropy',
      });
    });
  });
}

describe('crossEntropy validation', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  let logits: tf.Tensor;
  let target: tf.Tensor;
  beforeAll(() => {
    logits = tf.zeros([2, 3, 4]);
    target = tf.zeros([2, 3], 'int32');
  });

  it('names the argument, the bad shape or value and what was expected', () => {
    expect(() => crossEntropy(logits, tf.zeros([2, 4], 'int32'))).toThrow(
      'crossEntropy: target shape [2,4] must equal input shape [2,3,4] without its last (class) axis, [2,3]',
    );
    expect(() => crossEntropy(logits, tf.zeros([2, 3]))).toThrow(
      'crossEntropy: target must hold int32 class indices, got float32 (shape [2,3])',
    );
    expect(() => crossEntropy(tf.zeros([2, 3, 4], 'int32'), target)).toThrow(
      'crossEntropy: input must be float32, got int32',
    );
    expect(() => crossEntropy(logits, target, { weight: [1, 2] })).toThrow(
      'crossEntropy: weight must have shape [4] (one per class), got [2]',
    );
    expect(() => crossEntropy(logits, target, { reduction: 'avg' as Reduction })).toThrow(
      `crossEntropy: reduction must be 'mean', 'sum' or 'none', got "avg"`,
    );
    expect(() => crossEntropy(logits, target, { labelSmoothing: 1.5 })).toThrow(
      'crossEntropy: labelSmoothing must be a number in [0, 1], got 1.5',
    );
    expect(() => crossEntropy([1, 2] as unknown as tf.Tensor, target)).toThrow(
      'crossEntropy: input must be a tf.Tensor',
    );
  });

  it('skips the class check with one warning where the backend cannot read the target synchronously', () => {
    const bad = tf.tensor2d([[0, 1, 4]], undefined, 'int32');
    // As tfjs-webgpu in Node does for a tensor on the GPU: no synchronous read.
    bad.dataSync = () => {
      throw new ReferenceError('OffscreenCanvas is not defined');
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const l = tf.tensor2d([
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ]);
      const flat = tf.reshape(l, [1, 3, 4]);
      const loss = crossEntropy(flat, bad, { reduction: 'none' });
      expect(loss.shape).toEqual([1, 3]);
      crossEntropy(flat, bad, { reduction: 'none' }).dispose();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(
        /crossEntropy: class indices not validated: the '\w+' backend cannot read the target synchronously \(OffscreenCanvas is not defined\)/,
      );
      tf.dispose([l, flat, loss, bad]);
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses a class index out of range unless it is the ignore index, and leaks nothing doing so', async () => {
    const bad = tf.tensor2d(
      [
        [0, 1, 4],
        [255, 2, 3],
      ],
      undefined,
      'int32',
    );
    await expectNoLeaks(() => {
      expect(() => crossEntropy(logits, bad)).toThrow(
        'crossEntropy: target holds class index 4 (flat position 2); expected 0 <= target < 4 or target == ignoreIndex (-100)',
      );
    });
    const fixed = tf.tensor2d(
      [
        [0, 1, 255],
        [255, 2, 3],
      ],
      undefined,
      'int32',
    );
    expect(crossEntropy(logits, fixed, { ignoreIndex: 255 }).dataSync()[0]).toBeCloseTo(Math.log(4), 5);
    expect(() => crossEntropy(logits, bad, { validateTargets: false })).not.toThrow();
  });
});
