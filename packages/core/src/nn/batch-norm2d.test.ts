// Golden values: fixtures/nn/batch-norm2d.json, made by fixtures/nn/make_nn_fixtures.py (PyTorch 1.13 CPU,
// nn.BatchNorm2d in float64 from float32 inputs: training batches with outputs, gradients of sum(y·g) and the
// state dict after each batch, then one eval batch).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '../testing/index.js';
import { BatchNorm2d } from './batch-norm2d.js';
import type { RawTensor } from './state-dict.js';

interface Step {
  x: RawTensor;
  g: RawTensor;
  y: RawTensor;
  dx: RawTensor;
  grads: { weight: RawTensor; bias: RawTensor };
  stateAfter?: Record<string, RawTensor>;
}
interface BnCase {
  name: string;
  options: { numFeatures: number; momentum: number | null };
  initial: Record<string, RawTensor>;
  train: Step[];
  eval: Step;
}
const cases = JSON.parse(
  readFileSync(new URL('../../fixtures/nn/batch-norm2d.json', import.meta.url), 'utf8'),
).cases as BnCase[];
const T = (r: RawTensor) => tf.tensor(Array.from(r.data as ArrayLike<number>), [...r.shape]);

/** Output and gradients of sum(y·g) with respect to x, weight and bias, in one forward pass. */
function step(bn: BatchNorm2d, s: Step) {
  const x = tf.variable(T(s.x));
  const g = T(s.g);
  let y: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    y = tf.keep(bn.apply(x));
    return tf.sum(tf.mul(y, g)) as tf.Scalar;
  }, [x, bn.weight!, bn.bias!]);
  const out = { y: y!, dx: grads[x.name]!, dw: grads[bn.weight!.name]!, db: grads[bn.bias!.name]! };
  tf.dispose([x, g, value]);
  return out;
}

function compareStep(bn: BatchNorm2d, s: Step, what: string) {
  const r = step(bn, s);
  expectClose(r.y, T(s.y), { what: `${what}: y` });
  expectClose(r.dx, T(s.dx), { what: `${what}: dx` });
  expectClose(r.dw, T(s.grads.weight), { what: `${what}: dweight` });
  expectClose(r.db, T(s.grads.bias), { what: `${what}: dbias` });
  if (s.stateAfter) {
    const sd = bn.stateDict();
    expect(Object.keys(sd)).toEqual(Object.keys(s.stateAfter));
    for (const [k, v] of Object.entries(s.stateAfter)) {
      if (k === 'num_batches_tracked') {
        expect(sd[k]!.dtype).toBe('int32');
        expect(sd[k]!.dataSync()[0]).toBe(v.data[0]);
      } else {
        expectClose(sd[k]!, T(v), { what: `${what}: ${k}` });
      }
    }
    tf.dispose(Object.values(sd));
  }
  tf.dispose(Object.values(r));
}

for (const backend of await testBackends()) {
  describe(`BatchNorm2d on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of cases) {
      it(`matches PyTorch in train then eval mode: ${c.name}`, () => {
        const bn = new BatchNorm2d(c.options.numFeatures, { momentum: c.options.momentum });
        bn.loadStateDict(c.initial);
        expect(bn.training).toBe(true);
        c.train.forEach((s, i) => {
          compareStep(bn, s, `${c.name}, training batch ${i + 1}`);
        });
        bn.eval();
        const before = bn.stateDict();
        compareStep(bn, c.eval, `${c.name}, eval`);
        const after = bn.stateDict();
        for (const k of Object.keys(before))
          expect(Array.from(after[k]!.dataSync())).toEqual(Array.from(before[k]!.dataSync()));
        tf.dispose([...Object.values(before), ...Object.values(after)]);
        bn.dispose();
      });
    }

    it('leaks nothing in forward and in a variableGrads step, in both modes', async () => {
      const c = cases[0]!;
      const bn = new BatchNorm2d(c.options.numFeatures);
      const x = T(c.train[0]!.x);
      for (const mode of ['train', 'eval'] as const) {
        bn.train(mode === 'train');
        await expectNoLeaks(() => bn.apply(x).dispose(), { what: `BatchNorm2d forward (${mode})` });
        await expectNoLeaks(
          () => {
            const { value, grads } = tf.variableGrads(
              () => tf.sum(tf.square(bn.apply(x))) as tf.Scalar,
              bn.parameters(),
            );
            tf.dispose([value, ...Object.values(grads)]);
          },
          { what: `BatchNorm2d variableGrads (${mode})` },
        );
      }
      x.dispose();
      bn.dispose();
    });
  });
}

describe('BatchNorm2d (cpu)', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('gradCheck of the training-mode normalization (input)', () => {
    const bn = new BatchNorm2d(2);
    bn.loadStateDict(
      { weight: { shape: [2], data: [1.5, -0.7] }, bias: { shape: [2], data: [0.2, 0.1] } },
      { strict: false },
    );
    const x = tf.randomNormal([2, 2, 3, 2], 0, 1, 'float32', 7);
    const g = tf.randomNormal([2, 2, 3, 2], 0, 1, 'float32', 8);
    gradCheck((xi) => tf.sum(tf.mul(bn.apply(xi), g)), [x], { what: 'BatchNorm2d' });
    tf.dispose([x, g]);
    bn.dispose();
  });

  it('starts like PyTorch: weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0', () => {
    const bn = new BatchNorm2d(3);
    const sd = bn.stateDict();
    expect(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Array.from(v.dataSync())]))).toEqual({
      weight: [1, 1, 1],
      bias: [0, 0, 0],
      running_mean: [0, 0, 0],
      running_var: [1, 1, 1],
      num_batches_tracked: [0],
    });
    expect(bn.parameters()).toHaveLength(2);
    expect(bn.buffers().every((b) => !b.trainable)).toBe(true);
    expect(bn.toString()).toBe(
      'BatchNorm2d(3, eps=0.00001, momentum=0.1, affine=True, track_running_stats=True)',
    );
    tf.dispose(Object.values(sd));
    bn.dispose();
  });

  it('without running stats uses batch statistics in eval mode too and has no buffers', () => {
    const bn = new BatchNorm2d(2, { trackRunningStats: false, affine: false }).eval();
    expect(bn.buffers()).toHaveLength(0);
    expect(bn.parameters()).toHaveLength(0);
    const x = tf.tensor4d([1, 10, 3, 20], [1, 2, 1, 2]);
    const y = bn.apply(x);
    const s = 1 / Math.sqrt(1 + 1e-5);
    expectClose(y, [[[[-s, -50 / Math.sqrt(25 + 1e-5) / 10]], [[s, 50 / Math.sqrt(25 + 1e-5) / 10]]]]);
    tf.dispose([x, y]);
    bn.dispose();
  });

  it('refuses one value per channel in training (as PyTorch) and a wrong channel count', () => {
    const bn = new BatchNorm2d(3);
    const one = tf.zeros([1, 1, 1, 3]);
    expect(() => bn.apply(one)).toThrow(
      /BatchNorm2d\(3\)\.forward: expected more than 1 value per channel when training/,
    );
    const wrong = tf.zeros([2, 2, 2, 4]);
    expect(() => bn.apply(wrong)).toThrow(/input has 4 channels .* expected 3/);
    bn.eval();
    const y = bn.apply(one);
    expect(y.shape).toEqual([1, 1, 1, 3]);
    expect(() => new BatchNorm2d(3, { momentum: 2 })).toThrow(/momentum must be in \[0, 1\] or null, got 2/);
    tf.dispose([one, wrong, y]);
    bn.dispose();
  });

  it('loads a checkpoint without num_batches_tracked (old torchvision weights) strictly, resetting it to 0', () => {
    const bn = new BatchNorm2d(2);
    const x = tf.randomNormal([2, 2, 2, 2]);
    bn.apply(x).dispose();
    expect(bn.numBatchesTracked!.dataSync()[0]).toBe(1);
    const res = bn.loadStateDict({
      weight: { shape: [2], data: [1, 2] },
      bias: { shape: [2], data: [0, 1] },
      running_mean: { shape: [2], data: [0.5, 0.25] },
      running_var: { shape: [2], data: [2, 3] },
    });
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(bn.numBatchesTracked!.dataSync()[0]).toBe(0);
    expect(Array.from(bn.runningVar!.dataSync())).toEqual([2, 3]);
    x.dispose();
    bn.dispose();
  });
});
