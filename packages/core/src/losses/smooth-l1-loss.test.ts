// Golden values: fixtures/losses/losses.json ("smoothL1"), made by fixtures/losses/make_losses.py (PyTorch
// 1.13 F.smooth_l1_loss with beta 1, 0.5 and 0; one element sits exactly at |d| = 0.5 and two at d = 0).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, gradCheck, testBackends } from '../testing/index.js';
import { expectLossMatches, type LossCase, lossFixture } from './golden-losses.js';
import { smoothL1Loss } from './smooth-l1-loss.js';

interface Case extends LossCase {
  beta: number;
}

for (const backend of await testBackends()) {
  describe(`smoothL1Loss on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each((lossFixture.smoothL1 as Case[]).map((c) => [c.name, c] as const))(
      'matches PyTorch: %s',
      (_n, c) =>
        expectLossMatches(
          c,
          (pred, target) => smoothL1Loss(pred, target, { reduction: c.reduction, beta: c.beta }),
          (grad) => {
            if (c.beta === 0) {
              // PyTorch 1.13's smooth-L1 kernel gives −1 at an exact tie when beta = 0; we give F.l1_loss's 0.
              // Elsewhere the two agree; at the ties the expectation is F.l1_loss's gradient (same fixture).
              const l1 = (lossFixture.l1 as LossCase[]).find((k) => k.reduction === c.reduction)!;
              const t = (lossFixture.inputs[c.target] as number[]).flat(3) as number[];
              const ties = ((lossFixture.inputs[c.pred] as number[]).flat(3) as number[]).filter(
                (p, i) => p === t[i],
              ).length;
              expect(ties).toBe(2);
              expectClose(grad, l1.grad, { what: `${c.name} grad (= l1 grad)` });
              const torchSmooth = (c.grad.flat(3) as number[]).filter(
                (g, i) => g !== (l1.grad.flat(3) as number[])[i],
              );
              expect(torchSmooth.length).toBe(ties);
            } else {
              expectClose(grad, c.grad, { what: `${c.name} grad` });
            }
          },
        ),
    );
  });
}

describe('smoothL1Loss', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('agrees with finite differences away from the kinks', () => {
    const pred = tf.tensor([0.3, -2.1, 1.7, 0.05, -0.4]);
    const target = tf.tensor([0, 0, 0.4, 0.9, 0.2]);
    gradCheck((p) => smoothL1Loss(p, target, { beta: 0.7, reduction: 'sum' }), [pred], { eps: 1e-3 });
  });

  it('validates beta', () => {
    expect(() => smoothL1Loss(tf.zeros([2]), tf.zeros([2]), { beta: -1 })).toThrow(
      'smoothL1Loss: beta must be a finite number >= 0, got -1',
    );
  });
});
