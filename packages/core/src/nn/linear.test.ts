// Golden values: fixtures/nn/linear.json, made by fixtures/nn/make_nn_fixtures.py (PyTorch 1.13 CPU,
// nn.Linear in float64 from float32 inputs; state dict and weight gradient in PyTorch's [out, in]).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, testBackends } from '../testing/index.js';
import { Linear } from './linear.js';
import type { RawTensor } from './state-dict.js';

interface LinearCase {
  name: string;
  options: { inFeatures: number; outFeatures: number; bias: boolean };
  x: RawTensor;
  g: RawTensor;
  y: RawTensor;
  dx: RawTensor;
  state: Record<string, RawTensor>;
  grads: Record<string, RawTensor>;
}
const cases = JSON.parse(readFileSync(new URL('../../fixtures/nn/linear.json', import.meta.url), 'utf8'))
  .cases as LinearCase[];
const T = (r: RawTensor) => tf.tensor(Array.from(r.data as ArrayLike<number>), [...r.shape]);

for (const backend of await testBackends()) {
  describe(`Linear on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of cases) {
      it(`matches PyTorch: ${c.name} (output, input and parameter gradients)`, async () => {
        const lin = new Linear(c.options.inFeatures, c.options.outFeatures, { bias: c.options.bias });
        lin.loadStateDict(c.state);
        const x = tf.variable(T(c.x));
        const g = T(c.g);
        const y = lin.apply(x);
        tf.tidy(() => expectClose(y, T(c.y), { what: `${c.name}: y` }));
        await expectNoLeaks(() => lin.apply(x).dispose(), { what: 'Linear forward' });
        await expectNoLeaks(
          () => {
            const { value, grads } = tf.variableGrads(
              () => tf.sum(tf.mul(lin.apply(x), g)) as tf.Scalar,
              [x, ...lin.parameters()],
            );
            tf.tidy(() => {
              expectClose(grads[x.name]!, T(c.dx), { what: `${c.name}: dx` });
              expectClose(tf.transpose(grads[lin.weight.name]!), T(c.grads.weight!), {
                what: `${c.name}: dweight ([out, in])`,
              });
              if (lin.bias)
                expectClose(grads[lin.bias.name]!, T(c.grads.bias!), { what: `${c.name}: dbias` });
            });
            tf.dispose([value, ...Object.values(grads)]);
          },
          { what: 'Linear variableGrads' },
        );
        tf.dispose([x, g, y]);
        lin.dispose();
      });
    }
  });
}

describe('Linear (cpu)', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('stores [in, out], writes [out, in] and initialises within ±1/sqrt(in)', () => {
    const lin = new Linear(16, 3);
    expect(lin.weight.shape).toEqual([16, 3]);
    const sd = lin.stateDict();
    expect(sd.weight!.shape).toEqual([3, 16]);
    expect(Math.max(...Array.from(lin.weight.dataSync(), Math.abs))).toBeLessThanOrEqual(0.25);
    expect(lin.toString()).toBe('Linear(in_features=16, out_features=3, bias=True)');
    tf.dispose(Object.values(sd));
    lin.dispose();
  });

  it('validates the input', () => {
    const lin = new Linear(4, 2);
    const x = tf.zeros([2, 5]);
    expect(() => lin.apply(x)).toThrow(
      /Linear\(4, 2\)\.forward: input must have last axis 4, got shape \[2,5\]/,
    );
    expect(() => new Linear(0, 2)).toThrow(/Linear: inFeatures must be an integer ≥ 1, got 0/);
    x.dispose();
    lin.dispose();
  });
});
