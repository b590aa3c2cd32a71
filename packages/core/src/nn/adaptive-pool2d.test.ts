// Golden values: fixtures/nn/pool2d.json (cases of kind 'adaptiveMax' and 'adaptiveAvg'), made by
// fixtures/nn/make_nn_fixtures.py (PyTorch 1.13 CPU, F.adaptive_{max,avg}_pool2d in float64 from float32
// inputs; non-divisible, overlapping and upsampling bins; dx is the gradient of sum(y·g)).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '../testing/index.js';
import {
  AdaptiveAvgPool2d,
  AdaptiveMaxPool2d,
  type AdaptiveOutputSize,
  adaptiveBin,
} from './adaptive-pool2d.js';
import type { RawTensor } from './state-dict.js';

interface PoolCase {
  kind: 'adaptiveMax' | 'adaptiveAvg';
  name: string;
  options: { output_size: AdaptiveOutputSize };
  x: RawTensor;
  g: RawTensor;
  y: RawTensor;
  dx: RawTensor;
}
const cases = (
  JSON.parse(readFileSync(new URL('../../fixtures/nn/pool2d.json', import.meta.url), 'utf8'))
    .cases as PoolCase[]
).filter((c) => c.kind !== ('max' as string));
const T = (r: RawTensor) => tf.tensor(Array.from(r.data as ArrayLike<number>), [...r.shape]);
const build = (c: PoolCase) =>
  c.kind === 'adaptiveMax'
    ? new AdaptiveMaxPool2d(c.options.output_size)
    : new AdaptiveAvgPool2d(c.options.output_size);

for (const backend of await testBackends()) {
  describe(`adaptive pools on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of cases) {
      it(`${c.kind} matches PyTorch: ${c.name} (output and input gradient)`, () => {
        const pool = build(c);
        const x = T(c.x);
        const g = T(c.g);
        const y = pool.apply(x);
        expect(y.shape).toEqual(c.y.shape);
        expectClose(y, T(c.y), { what: `${c.name}: y` });
        const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(pool.apply(xi), g)))(x);
        expectClose(dx, T(c.dx), { what: `${c.name}: dx` });
        tf.dispose([x, g, y, dx]);
      });
    }

    it('leaks nothing in forward and in a gradient step (uniform and non-uniform bins)', async () => {
      for (const c of cases.filter((k) => /7x5 -> 3x4|divisible/.test(k.name))) {
        const pool = build(c);
        const x = tf.variable(T(c.x));
        await expectNoLeaks(() => pool.apply(x).dispose(), { what: `${c.kind} forward` });
        await expectNoLeaks(
          () => {
            const { value, grads } = tf.variableGrads(
              () => tf.sum(tf.square(pool.apply(x))) as tf.Scalar,
              [x],
            );
            tf.dispose([value, ...Object.values(grads)]);
          },
          { what: `${c.kind} variableGrads` },
        );
        x.dispose();
      }
    });
  });
}

describe('adaptive pools (cpu)', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it("uses PyTorch's bins [floor(i·H/out), ceil((i+1)·H/out))", () => {
    expect([0, 1, 2].map((i) => adaptiveBin(i, 7, 3))).toEqual([
      [0, 3],
      [2, 5],
      [4, 7],
    ]);
    expect([0, 1, 2, 3, 4].map((i) => adaptiveBin(i, 3, 5))).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
      [1, 3],
      [2, 3],
    ]);
  });

  it('gradCheck of the average pool over overlapping bins', () => {
    const pool = new AdaptiveAvgPool2d([3, 2]);
    const x = tf.randomNormal([1, 5, 3, 2], 0, 1, 'float32', 3);
    const g = tf.randomNormal([1, 3, 2, 2], 0, 1, 'float32', 4);
    gradCheck((xi) => tf.sum(tf.mul(pool.apply(xi), g)), [x], { what: 'AdaptiveAvgPool2d' });
    tf.dispose([x, g]);
  });

  it('validates the output size and the input', () => {
    expect(() => new AdaptiveAvgPool2d(0)).toThrow(
      /AdaptiveAvgPool2d: outputSize must be an integer ≥ 1 or \[h, w\]/,
    );
    expect(() => new AdaptiveMaxPool2d([2, 1.5] as never)).toThrow(/AdaptiveMaxPool2d: outputSize/);
    const pool = new AdaptiveMaxPool2d([2, null]);
    expect(pool.toString()).toBe('AdaptiveMaxPool2d(output_size=(2, None))');
    const x = tf.zeros([2, 3]);
    expect(() => pool.apply(x)).toThrow(
      /AdaptiveMaxPool2d\(output_size=\(2, None\)\)\.forward: input must be NHWC/,
    );
    x.dispose();
  });
});
