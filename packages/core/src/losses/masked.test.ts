// Golden values: fixtures/losses/losses.json ("masked", "d2lSsdBboxLoss"), made by
// fixtures/losses/make_losses.py: PyTorch 1.13 F.l1_loss / smooth_l1_loss / mse_loss on (pred*mask,
// target*mask), d2l SSD's form, reduced by mean over elements, sum, or sum / mask.sum().
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, testBackends } from '../testing/index.js';
import { maskedL1Loss, maskedMseLoss, maskedSmoothL1Loss } from './masked.js';
import type { Reduction } from './validate.js';

interface Case {
  name: string;
  pred: string;
  target: string;
  mask: string;
  reduction: Reduction;
  normalize: 'elements' | 'mask';
  beta?: number;
  coef?: number[];
  loss: number | number[];
  grad: number[];
}
const fx = JSON.parse(readFileSync(new URL('../../fixtures/losses/losses.json', import.meta.url), 'utf8'));

function lossOf(c: Case) {
  const options = { reduction: c.reduction, normalize: c.normalize };
  if (c.name.startsWith('smooth l1'))
    return (p: tf.Tensor, t: tf.Tensor, m: tf.Tensor) =>
      maskedSmoothL1Loss(p, t, m, { ...options, beta: c.beta! });
  if (c.name.startsWith('mse'))
    return (p: tf.Tensor, t: tf.Tensor, m: tf.Tensor) => maskedMseLoss(p, t, m, options);
  return (p: tf.Tensor, t: tf.Tensor, m: tf.Tensor) => maskedL1Loss(p, t, m, options);
}

for (const backend of await testBackends()) {
  describe(`masked losses on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each((fx.masked as Case[]).map((c) => [c.name, c] as const))('matches PyTorch: %s', async (_n, c) => {
      const [pred, target, mask] = [c.pred, c.target, c.mask].map((k) => tf.tensor(fx.inputs[k])) as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
      ];
      const coef = c.coef && tf.tensor(c.coef);
      const f = lossOf(c);
      const loss = await expectNoLeaks(() => f(pred, target, mask));
      expectClose(loss, c.loss, { what: `${c.name} loss` });
      const grad = await expectNoLeaks(() =>
        tf.grad((p: tf.Tensor) => {
          const l = f(p, target, mask);
          return coef ? tf.sum(tf.mul(l, coef)) : l;
        })(pred),
      );
      expectClose(grad, c.grad, { what: `${c.name} grad` });
      tf.dispose([pred, target, mask, loss, grad, coef as tf.Tensor]);
    });
  });
}

describe('masked losses', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it("reproduces d2l's SSD box loss: l1(preds*masks, labels*masks).mean(dim=1), then the batch mean", () => {
    const [p, t, m] = ['boxPred', 'boxTarget', 'boxMask'].map((k) => tf.tensor(fx.inputs[k]));
    expectClose(maskedL1Loss(p!, t!, m!), fx.d2lSsdBboxLoss);
    expectClose(tf.mean(tf.mean(maskedL1Loss(p!, t!, m!, { reduction: 'none' }), 1)), fx.d2lSsdBboxLoss);
  });

  it("gives 0, not NaN, for an all-zero mask with normalize 'mask'", () => {
    const l = maskedL1Loss(tf.ones([2, 4]), tf.zeros([2, 4]), tf.zeros([2, 1]), { normalize: 'mask' });
    expect(l.dataSync()[0]).toBe(0);
  });

  it('validates the mask and the normalisation', () => {
    expect(() => maskedL1Loss(tf.zeros([2, 3, 4]), tf.zeros([2, 3, 4]), tf.zeros([2, 3]))).toThrow(
      'maskedL1Loss: mask shape [2,3] must broadcast to pred shape [2,3,4]',
    );
    expect(() => maskedMseLoss(tf.zeros([2, 4]), tf.zeros([2, 4]), tf.zeros([2, 4], 'bool'))).toThrow(
      'maskedMseLoss: mask must be float32, got bool (shape [2,4])',
    );
    expect(() =>
      maskedSmoothL1Loss(tf.zeros([2]), tf.zeros([2]), tf.ones([2]), { normalize: 'anchors' as 'mask' }),
    ).toThrow(`maskedSmoothL1Loss: normalize must be 'elements' or 'mask', got "anchors"`);
  });
});
