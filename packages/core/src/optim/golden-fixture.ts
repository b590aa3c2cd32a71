/**
 * Test-only helpers (not exported from the package): the PyTorch goldens of fixtures/optim/optim.json,
 * made by fixtures/optim/make_optim.py (torch 1.13 CPU, float32, foreach=False), and a runner that replays
 * them through our optimizers, with the golden tests the optimizers' test files share.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { countTensors, expectClose, expectNoLeaks } from '../testing/index.js';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';
import type { Optimizer, Params } from './optimizer.js';
import { SGD } from './sgd.js';

type Nested = number | Nested[];
export interface FixedGradCase {
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, number | boolean | number[]>;
  after: Record<string, Nested>[];
  state: Record<string, Record<string, Nested>>;
}
export interface RegressionCase {
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, number | boolean>;
  losses: number[];
  after: { W: Nested; c: Nested }[];
}
export interface ScheduleCase {
  scheduler: 'StepLR' | 'CosineAnnealingLR';
  lr: number;
  options: Record<string, number>;
  lrs: number[];
}

export const optimFixture = JSON.parse(
  readFileSync(new URL('../../fixtures/optim/optim.json', import.meta.url), 'utf8'),
) as {
  fixedGrad: { init: Record<string, Nested>; grads: Record<string, Nested>[]; cases: FixedGradCase[] };
  regression: { x: Nested; y: Nested; W0: Nested; c0: Nested; cases: RegressionCase[] };
  schedules: ScheduleCase[];
};

export function caseName(c: { optimizer: string; options: object }): string {
  return `${c.optimizer} ${JSON.stringify(c.options)}`;
}

export function makeOptimizer(kind: string, params: Params, options: Record<string, unknown>): Optimizer {
  if (kind === 'SGD') return new SGD(params, options as never);
  if (kind === 'Adam') return new Adam(params, options as never);
  if (kind === 'AdamW') return new AdamW(params, options as never);
  throw new Error(`unknown optimizer ${kind}`);
}

/** Fresh variables w [2, 3] and b [3] holding the fixture's initial values. */
export function fixedParams(): Record<string, tf.Variable> {
  const init = optimFixture.fixedGrad.init;
  return {
    w: tf.variable(tf.tensor(init.w as number[][]), true),
    b: tf.variable(tf.tensor(init.b as number[]), true),
  };
}

/** Step `s`'s gradients keyed by variable name, as tf.variableGrads returns them (b is absent at step 3). */
export function fixedGrads(params: Record<string, tf.Variable>, s: number): Record<string, tf.Tensor> {
  const g = optimFixture.fixedGrad.grads[s]!;
  return Object.fromEntries(Object.entries(g).map(([k, v]) => [params[k]!.name, tf.tensor(v as number[])]));
}

/** Runs steps [from, to) of a fixed-gradient case, comparing the parameters after each step. */
export function replaySteps(
  c: FixedGradCase,
  opt: Optimizer,
  params: Record<string, tf.Variable>,
  from: number,
  to: number,
) {
  for (let s = from; s < to; s++) {
    const grads = fixedGrads(params, s);
    opt.step(grads);
    tf.dispose(grads);
    for (const [k, v] of Object.entries(params)) {
      expectClose(v, c.after[s]![k] as number[], { what: `${caseName(c)} step ${s + 1} ${k}` });
    }
  }
}

/** Compares an optimizer's final state with PyTorch's (momentum buffers, Adam moments, step counts). */
export function expectFinalState(c: FixedGradCase, opt: Optimizer) {
  const sd = opt.stateDict();
  for (const [k, st] of Object.entries(c.state)) {
    const ours = sd.state[k]!;
    const names = Object.keys(ours).sort();
    if (JSON.stringify(names) !== JSON.stringify(Object.keys(st).sort())) {
      throw new Error(`${caseName(c)}: state of ${k} has ${names}, PyTorch has ${Object.keys(st)}`);
    }
    for (const [name, value] of Object.entries(st)) {
      expectClose(ours[name] as tf.Tensor | number, value as number[], {
        what: `${caseName(c)} state ${k}.${name}`,
      });
    }
  }
  tf.dispose(sd as unknown as tf.TensorContainer);
}

/**
 * A fixed-gradient case with a fresh `kind` optimizer: step 1, then steps 2..5 create no tensor (the state
 * buffers are made at step 1: the count stays constant), the final state matches PyTorch, and disposing the
 * optimizer frees everything it made.
 */
export async function expectStepByStep(kind: FixedGradCase['optimizer'], c: FixedGradCase): Promise<void> {
  const params = fixedParams();
  const before = countTensors();
  const opt = makeOptimizer(kind, params, c.options);
  replaySteps(c, opt, params, 0, 1);
  const afterFirst = countTensors();
  await expectNoLeaks(() => replaySteps(c, opt, params, 1, 5), { what: caseName(c) });
  expect(countTensors()).toBe(afterFirst);
  expectFinalState(c, opt);
  opt.dispose();
  expect(countTensors()).toBe(before);
  tf.dispose(params);
}

/**
 * Five `minimize` steps of the optimizer `make` builds on the fixture's linear-regression loss, each loss and
 * the parameters after each step compared with PyTorch's. `minimize` runs step `s` (0-based) and returns its
 * loss: by default `opt.minimize(loss, true)`.
 */
export async function expectRegression(
  c: RegressionCase,
  make: (W: tf.Variable, b: tf.Variable) => Optimizer,
  minimize: (opt: Optimizer, loss: () => tf.Scalar, s: number) => tf.Scalar | Promise<tf.Scalar> = (
    opt,
    loss,
  ) => opt.minimize(loss, true),
): Promise<void> {
  const { x, y, W0, c0 } = optimFixture.regression;
  const [X, Y] = [tf.tensor(x as number[][]), tf.tensor(y as number[][])];
  const W = tf.variable(tf.tensor(W0 as number[][]));
  const b = tf.variable(tf.tensor(c0 as number[]));
  const opt = make(W, b);
  const loss = () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(X, W), b), Y))) as tf.Scalar;
  for (let s = 0; s < 5; s++) {
    const value = await minimize(opt, loss, s);
    expectClose(value, c.losses[s]!, { what: `loss ${s + 1}` });
    value.dispose();
    expectClose(W, c.after[s]!.W as number[], { what: `W after ${s + 1}` });
    expectClose(b, c.after[s]!.c as number[], { what: `c after ${s + 1}` });
  }
  opt.dispose();
  tf.dispose([X, Y, W, b]);
}
