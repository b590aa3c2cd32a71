// Golden values: fixtures/losses/losses.json ("mse"), made by fixtures/losses/make_losses.py (PyTorch 1.13
// F.mse_loss).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { testBackends } from '../testing/index.js';
import { expectLossMatches, type LossCase, lossFixture } from './golden-losses.js';
import { mseLoss } from './mse-loss.js';

for (const backend of await testBackends()) {
  describe(`mseLoss on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each((lossFixture.mse as LossCase[]).map((c) => [c.name, c] as const))(
      'matches PyTorch: %s',
      (_n, c) => expectLossMatches(c, (pred, target) => mseLoss(pred, target, { reduction: c.reduction })),
    );
  });
}

describe('mseLoss validation', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  it('refuses mismatched shapes', () => {
    expect(() => mseLoss(tf.zeros([4]), tf.zeros([4, 1]))).toThrow(
      'mseLoss: target shape [4,1] must equal pred shape [4]',
    );
    expect(() => mseLoss(tf.zeros([4]), null as unknown as tf.Tensor)).toThrow(
      'mseLoss: target must be a tf.Tensor, got null',
    );
  });
});
