// Golden values: fixtures/losses/losses.json ("l1"), made by fixtures/losses/make_losses.py (PyTorch 1.13
// F.l1_loss; the target ties the prediction exactly at two elements, where PyTorch's gradient is 0).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, testBackends } from '../testing/index.js';
import { l1Loss } from './l1-loss.js';
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
  describe(`l1Loss on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each((fx.l1 as Case[]).map((c) => [c.name, c] as const))('matches PyTorch: %s', async (_n, c) => {
      const pred = tf.tensor(fx.inputs[c.pred]);
      const target = tf.tensor(fx.inputs[c.target]);
      const coef = c.coef && tf.tensor(c.coef);
      const loss = await expectNoLeaks(() => l1Loss(pred, target, { reduction: c.reduction }));
      expectClose(loss, c.loss, { what: `${c.name} loss` });
      const grad = await expectNoLeaks(() =>
        tf.grad((p: tf.Tensor) => {
          const l = l1Loss(p, target, { reduction: c.reduction });
          return coef ? tf.sum(tf.mul(l, coef)) : l;
        })(pred),
      );
      expectClose(grad, c.grad, { what: `${c.name} grad` });
      tf.dispose([pred, target, loss, grad, coef as tf.Tensor]);
    });
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
