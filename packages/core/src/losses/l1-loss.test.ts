// Golden values: fixtures/losses/losses.json ("l1"), made by fixtures/losses/make_losses.py (PyTorch 1.13
// F.l1_loss; the target ties the prediction exactly at two elements, where PyTorch's gradient is 0).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { testBackends } from '../testing/index.js';
import { expectLossMatches, type LossCase, lossFixture } from './golden-losses.js';
import { l1Loss } from './l1-loss.js';
import type { Reduction } from './validate.js';

for (const backend of await testBackends()) {
  describe(`l1Loss on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each((lossFixture.l1 as LossCase[]).map((c) => [c.name, c] as const))('matches PyTorch: %s', (_n, c) =>
      expectLossMatches(c, (pred, target) => l1Loss(pred, target, { reduction: c.reduction })),
    );
  });
}

describe('l1Loss validation', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  it('refuses mismatched shapes, dtypes and reductions with a precise message', () => {
    expect(() => l1Loss(tf.zeros([2, 3]), tf.zeros([3, 2]))).toThrow(
      'l1Loss: target shape [3,2] must equal pred shape [2,3]',
    );
    expect(() => l1Loss(tf.zeros([2], 'int32'), tf.zeros([2]))).toThrow(
      'l1Loss: pred must be float32, got int32 (shape [2])',
    );
    expect(() => l1Loss(tf.zeros([2]), tf.zeros([2]), { reduction: 'max' as Reduction })).toThrow(
      `l1Loss: reduction must be 'mean', 'sum' or 'none', got "max"`,
    );
  });
});
