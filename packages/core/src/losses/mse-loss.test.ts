// Golden values: fixtures/losses/losses.json ("mse"), made by fixtures/losses/make_losses.py (PyTorch 1.13
// F.mse_loss).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, testBackends } from '../testing/index.js';
import { mseLoss } from './mse-loss.js';
import type { Reduction } from './validate.js';

interface Case {
  name: string;
  pred: string;
  target: string;
  reduction: Reduction;
  coef?: number[];
  loss: number | number[];
  grad: number[];
}
const fx = JSON.parse(readFileSync(new URL('../../fixtures/losses/losses.json', import.meta.url), 'utf8'));

for (const backend of await testBackends()) {
  describe(`mseLoss on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each((fx.mse as Case[]).map((c) => [c.name, c] as const))('matches PyTorch: %s', async (_n, c) => {
      const pred = tf.tensor(fx.inputs[c.pred]);
      const target = tf.tensor(fx.inputs[c.target]);
      const coef = c.coef && tf.tensor(c.coef);
      const loss = await expectNoLeaks(() => mseLoss(pred, target, { reduction: c.reduction }));
      expectClose(loss, c.loss, { what: `${c.name} loss` });
      const grad = await expectNoLeaks(() =>
        tf.grad((p: tf.Tensor) => {
          const l = mseLoss(p, target, { reduction: c.reduction });
          return coef ? tf.sum(tf.mul(l, coef)) : l;
        })(pred),
      );
      expectClose(grad, c.grad, { what: `${c.name} grad` });
      tf.dispose([pred, target, loss, grad, coef as tf.Tensor]);
    });
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
