// Golden values: fixtures/optim/optim.json, made by fixtures/optim/make_optim.py (torch.optim.Adam 1.13,
// single-tensor path: five steps with fixed gradients, b without a gradient at step 4, and five steps on
// a linear-regression loss).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { testBackends } from '../testing/index.js';
import { Adam } from './adam.js';
import {
  caseName,
  expectFinalState,
  expectRegression,
  expectStepByStep,
  fixedParams,
  makeOptimizer,
  optimFixture,
  replaySteps,
} from './golden-fixture.js';

const fixed = optimFixture.fixedGrad.cases.filter((c) => c.optimizer === 'Adam');
const regression = optimFixture.regression.cases.filter((c) => c.optimizer === 'Adam');

for (const backend of await testBackends()) {
  describe(`Adam on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each(fixed.map((c) => [caseName(c), c] as const))('matches torch step by step: %s', (_n, c) =>
      expectStepByStep('Adam', c),
    );

    it.each(regression.map((c) => [caseName(c), c] as const))(
      'minimize matches torch on a regression loss: %s',
      (_n, c) => expectRegression(c, (W, b) => new Adam({ W, b }, c.options)),
    );
  });
}

describe('Adam', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('resumes exactly from a state dict, step counts included (2 steps, save, new optimizer, 3 steps)', () => {
    const c = fixed.find((k) => k.options.amsgrad)!;
    const params = fixedParams();
    const first = makeOptimizer('Adam', params, c.options);
    replaySteps(c, first, params, 0, 2);
    const saved = first.stateDict();
    first.dispose();
    // A checkpoint stores options and step counts as JSON, buffers as tensors.
    const options = JSON.parse(JSON.stringify(saved.options));
    const second = new Adam(params);
    second.loadStateDict({ type: saved.type, options, state: saved.state });
    expect(second.parameters.map((p) => p.key)).toEqual(['w', 'b']);
    expect(second.lr).toBe(0.05);
    expect(second.betas).toEqual([0.8, 0.99]);
    tf.dispose(saved as unknown as tf.TensorContainer);
    replaySteps(c, second, params, 2, 5);
    expectFinalState(c, second);
    second.dispose();
    tf.dispose(params);
  });

  it('flat state carries the per-parameter step counts', () => {
    const c = fixed[0]!;
    const params = fixedParams();
    const opt = makeOptimizer('Adam', params, c.options);
    replaySteps(c, opt, params, 0, 5);
    const flat = opt.flatState();
    expect(flat['w/step']).toBe(5);
    expect(flat['b/step']).toBe(4); // b had no gradient at step 4
    const again = makeOptimizer('Adam', params, c.options);
    again.loadFlatState(flat);
    expectFinalState(c, again);
    tf.dispose(flat as unknown as tf.TensorContainer);
    tf.dispose(params);
    opt.dispose();
    again.dispose();
  });

  it('has PyTorch defaults and validates options', () => {
    const v = tf.variable(tf.zeros([2]));
    const opt = new Adam([v]);
    expect(opt.stateDict().options).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
    });
    expect(() => new Adam([v], { betas: [0.9, 1] })).toThrow(
      'Adam: betas[1] must be a finite number in [0, 1), got 1',
    );
    expect(() => new Adam([v], { eps: -1 })).toThrow('Adam: eps must be a finite number >= 0, got -1');
    expect(() => opt.loadStateDict({ type: 'Adam', options: { lr: 1, weightDecay: -2 }, state: {} })).toThrow(
      'Adam.loadStateDict: weightDecay must be a finite number >= 0, got -2',
    );
    expect(opt.stateDict().options.weightDecay).toBe(0);
  });
});
