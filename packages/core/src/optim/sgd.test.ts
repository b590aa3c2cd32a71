// Golden values: fixtures/optim/optim.json, made by fixtures/optim/make_optim.py (torch.optim.SGD 1.13,
// five steps with fixed gradients, and five steps on a linear-regression loss).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks, testBackends } from '../testing/index.js';
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
import { SGD } from './sgd.js';

const fixed = optimFixture.fixedGrad.cases.filter((c) => c.optimizer === 'SGD');
const regression = optimFixture.regression.cases.filter((c) => c.optimizer === 'SGD');

for (const backend of await testBackends()) {
  describe(`SGD on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it.each(fixed.map((c) => [caseName(c), c] as const))('matches torch step by step: %s', (_n, c) =>
      expectStepByStep('SGD', c),
    );

    it.each(regression.map((c) => [caseName(c), c] as const))(
      'minimize matches torch on a regression loss: %s',
      (_n, c) =>
        expectRegression(
          c,
          (W, b) => new SGD([W, b], c.options as never),
          (opt, loss, s) =>
            expectNoLeaks(() => opt.minimize(loss, true), {
              what: `minimize step ${s + 1}`,
              keep: s === 0 ? 2 : 0,
            }),
        ),
    );
  });
}

describe('SGD', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  const nesterov = fixed.find((c) => c.options.nesterov)!;

  it('resumes exactly from a state dict (2 steps, save, new optimizer, 3 steps)', async () => {
    const params = fixedParams();
    const first = makeOptimizer('SGD', params, nesterov.options);
    replaySteps(nesterov, first, params, 0, 2);
    const saved = first.stateDict();
    expect(saved.options).toEqual({
      lr: 0.1,
      momentum: 0.9,
      dampening: 0,
      weightDecay: 1e-4,
      nesterov: true,
      maximize: false,
    });
    first.dispose();
    const second = new SGD(params, { lr: 1 }); // options come back from the state dict
    await expectNoLeaks(() => second.loadStateDict(saved), { keep: 2 });
    tf.dispose(saved as unknown as tf.TensorContainer);
    replaySteps(nesterov, second, params, 2, 5);
    expectFinalState(nesterov, second);
    second.dispose();
    tf.dispose(params);
  });

  it("resumes from the flat record train/'s checkpoints store", async () => {
    const params = fixedParams();
    const first = makeOptimizer('SGD', params, nesterov.options);
    replaySteps(nesterov, first, params, 0, 3);
    const flat = first.flatState();
    expect(Object.keys(flat).sort()).toEqual(['b/momentumBuffer', 'lr', 'w/momentumBuffer']);
    first.dispose();
    const second = makeOptimizer('SGD', params, nesterov.options);
    await expectNoLeaks(() => second.loadFlatState(flat), { keep: 2 });
    tf.dispose(flat as unknown as tf.TensorContainer);
    replaySteps(nesterov, second, params, 3, 5);
    expect(() => second.loadFlatState({ momentumBuffer: 1 })).toThrow(
      "SGD.loadFlatState: key 'momentumBuffer' is neither 'lr' nor '<paramKey>/<name>'",
    );
    second.dispose();
    tf.dispose(params);
  });

  it('accepts gradients keyed by record key, skips parameters without one, ignores other variables', () => {
    const p = { a: tf.variable(tf.tensor([1, 2])), b: tf.variable(tf.tensor([3])) };
    const other = tf.variable(tf.tensor([5]));
    const opt = new SGD(p, { lr: 0.5 });
    opt.step({ a: tf.tensor([2, 2]), [other.name]: tf.tensor([1]) });
    expect(Array.from(p.a.dataSync())).toEqual([0, 1]);
    expect(Array.from(p.b.dataSync())).toEqual([3]);
    expect(Array.from(other.dataSync())).toEqual([5]);
  });

  it('refuses bad options, params and gradients with precise messages', () => {
    const v = tf.variable(tf.zeros([2, 3]));
    expect(() => new SGD([v], { lr: -1 })).toThrow('SGD: lr must be a finite number >= 0, got -1');
    expect(() => new SGD([v], { lr: 0.1, nesterov: true })).toThrow(
      'SGD: nesterov momentum requires momentum > 0 and dampening 0, got momentum 0, dampening 0',
    );
    expect(() => new SGD([], { lr: 0.1 })).toThrow(
      'SGD: params must be a non-empty array or record of tf.Variable',
    );
    expect(() => new SGD([tf.zeros([2]) as tf.Variable], { lr: 0.1 })).toThrow(
      "SGD: params['0'] must be a tf.Variable, got object",
    );
    expect(() => new SGD([v, v], { lr: 0.1 })).toThrow("SGD: params['1'] appears twice");
    const opt = new SGD({ w: v }, { lr: 0.1 });
    expect(() => opt.step({ [v.name]: tf.zeros([3, 2]) })).toThrow(
      `SGD.step: grads['${v.name}'] has float32 shape [3,2], expected float32 [2,3] (params['w'])`,
    );
    expect(() => opt.step({ nope: tf.zeros([2, 3]) })).toThrow(
      /SGD.step: grads name none of the parameters \(got 'nope'; expected variable names such as/,
    );
    expect(() => opt.loadStateDict({ type: 'Adam', options: { lr: 1 }, state: {} })).toThrow(
      'SGD.loadStateDict: state is for a Adam optimizer, not SGD',
    );
    expect(() => opt.loadStateDict({ type: 'SGD', options: { lr: 1 }, state: { x: {} } })).toThrow(
      "SGD.loadStateDict: state for unknown parameter 'x' (parameters: w)",
    );
    expect(() =>
      opt.loadStateDict({ type: 'SGD', options: { lr: 1 }, state: { w: { momentumBuffer: tf.zeros([2]) } } }),
    ).toThrow("SGD.loadStateDict: state['w'].momentumBuffer has float32 shape [2], expected float32 [2,3]");
    opt.dispose();
    expect(() => opt.step({})).toThrow('SGD.step: the optimizer has been disposed');
  });
});
