// Golden values: fixtures/optim/optim.json, made by fixtures/optim/make_optim.py (torch.optim.AdamW 1.13,
// single-tensor path: decoupled weight decay, with and without amsgrad; and a linear-regression loss).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { testBackends } from '../testing/index.js';
import { AdamW } from './adamw.js';
import { caseName, expectRegression, expectStepByStep, optimFixture } from './golden-fixture.js';

const fixed = optimFixture.fixedGrad.cases.filter((c) => c.optimizer === 'AdamW');
const regression = optimFixture.regression.cases.filter((c) => c.optimizer === 'AdamW');

for (const backend of await testBackends()) {
  describe(`AdamW on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each(fixed.map((c) => [caseName(c), c] as const))('matches torch step by step: %s', (_n, c) =>
      expectStepByStep('AdamW', c),
    );

    it.each(regression.map((c) => [caseName(c), c] as const))(
      'minimize matches torch on a regression loss: %s',
      (_n, c) => expectRegression(c, (W, b) => new AdamW([W, b], c.options)),
    );
  });
}

describe('AdamW', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('defaults weightDecay to 1e-2 as PyTorch, and refuses an Adam state dict', () => {
    const v = tf.variable(tf.zeros([2]));
    const opt = new AdamW([v]);
    expect(opt.weightDecay).toBe(1e-2);
    expect(opt.stateDict().type).toBe('AdamW');
    expect(() => opt.loadStateDict({ type: 'Adam', options: { lr: 1 }, state: {} })).toThrow(
      'AdamW.loadStateDict: state is for a Adam optimizer, not AdamW',
    );
  });
});
