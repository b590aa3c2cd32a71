// Golden values: fixtures/optim/optim.json, made by fixtures/optim/make_optim.py (torch.optim.AdamW 1.13,
// single-tensor path: decoupled weight decay, with and without amsgrad; and a linear-regression loss).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { countTensors, expectClose, expectNoLeaks, testBackends } from '../testing/index.js';
import { AdamW } from './adamw.js';
import {
  caseName,
  expectFinalState,
  fixedParams,
  makeOptimizer,
  optimFixture,
  replaySteps,
} from './golden-fixture.js';

const fixed = optimFixture.fixedGrad.cases.filter((c) => c.optimizer === 'AdamW');
const regression = optimFixture.regression.cases.filter((c) => c.optimizer === 'AdamW');

for (const backend of await testBackends()) {
  describe(`AdamW on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each(fixed.map((c) => [caseName(c), c] as const))('matches torch step by step: %s', async (_n, c) => {
      const params = fixedParams();
      const opt = makeOptimizer('AdamW', params, c.options);
      replaySteps(c, opt, params, 0, 1);
      const afterFirst = countTensors();
      await expectNoLeaks(() => replaySteps(c, opt, params, 1, 5), { what: caseName(c) });
      expect(countTensors()).toBe(afterFirst);
      expectFinalState(c, opt);
      opt.dispose();
      tf.dispose(params);
    });

    it.each(regression.map((c) => [caseName(c), c] as const))(
      'minimize matches torch on a regression loss: %s',
      (_n, c) => {
        const { x, y, W0, c0 } = optimFixture.regression;
        const [X, Y] = [tf.tensor(x as number[][]), tf.tensor(y as number[][])];
        const W = tf.variable(tf.tensor(W0 as number[][]));
        const b = tf.variable(tf.tensor(c0 as number[]));
        const opt = new AdamW([W, b], c.options);
        const loss = () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(X, W), b), Y))) as tf.Scalar;
        for (let s = 0; s < 5; s++) {
          const value = opt.minimize(loss, true);
          expectClose(value, c.losses[s]!, { what: `loss ${s + 1}` });
          value.dispose();
          expectClose(W, c.after[s]!.W as number[], { what: `W after ${s + 1}` });
          expectClose(b, c.after[s]!.c as number[], { what: `c after ${s + 1}` });
        }
        opt.dispose();
        tf.dispose([X, Y, W, b]);
      },
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
