// Golden values: fixtures/losses/losses.json ("masked", "d2lSsdBboxLoss"), made by
// fixtures/losses/make_losses.py: PyTorch 1.13 F.l1_loss / smooth_l1_loss / mse_loss on (pred*mask,
// target*mask), d2l SSD's form, reduced by mean over elements, sum, or sum / mask.sum().
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, testBackends } from '../testing/index.js';
import { expectLossMatches, type LossCase, lossFixture } from './golden-losses.js';
import { maskedL1Loss, maskedMseLoss, maskedSmoothL1Loss } from './masked.js';

interface Case extends LossCase {
  mask: string;
  normalize: 'elements' | 'mask';
  beta?: number;
}

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

    it.each((lossFixture.masked as Case[]).map((c) => [c.name, c] as const))(
      'matches PyTorch: %s',
      async (_n, c) => {
        const mask = tf.tensor(lossFixture.inputs[c.mask]);
        const f = lossOf(c);
        await expectLossMatches(c, (pred, target) => f(pred, target, mask));
        mask.dispose();
      },
    );
  });
}

describe('masked losses', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it("reproduces d2l's SSD box loss: l1(preds*masks, labels*masks).mean(dim=1), then the batch mean", () => {
    const [p, t, m] = ['boxPred', 'boxTarget', 'boxMask'].map((k) => tf.tensor(lossFixture.inputs[k]));
    expectClose(maskedL1Loss(p!, t!, m!), lossFixture.d2lSsdBboxLoss);
    expectClose(
      tf.mean(tf.mean(maskedL1Loss(p!, t!, m!, { reduction: 'none' }), 1)),
      lossFixture.d2lSsdBboxLoss,
    );
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
