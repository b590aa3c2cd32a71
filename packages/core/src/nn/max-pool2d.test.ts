// Golden values: fixtures/nn/pool2d.json (cases of kind 'max'), made by fixtures/nn/make_nn_fixtures.py
// (PyTorch 1.13 CPU, F.max_pool2d in float64 from float32 inputs; dx is the gradient of sum(y·g)).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, testBackends } from '../testing/index.js';
import { MaxPool2d, poolOutputSize } from './max-pool2d.js';
import type { RawTensor } from './state-dict.js';

interface PoolCase {
  kind: string;
  name: string;
  options: {
    kernel_size: number | [number, number];
    stride?: number | [number, number];
    padding?: number | [number, number];
    ceil_mode?: boolean;
  };
  x: RawTensor;
  g: RawTensor;
  y: RawTensor;
  dx: RawTensor;
}
const cases = (
  JSON.parse(readFileSync(new URL('../../fixtures/nn/pool2d.json', import.meta.url), 'utf8'))
    .cases as PoolCase[]
).filter((c) => c.kind === 'max');
const T = (r: RawTensor) => tf.tensor(Array.from(r.data as ArrayLike<number>), [...r.shape]);
const build = (c: PoolCase) =>
  new MaxPool2d(c.options.kernel_size, {
    stride: c.options.stride,
    padding: c.options.padding,
    ceilMode: c.options.ceil_mode,
  });

for (const backend of await testBackends()) {
  describe(`MaxPool2d on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of cases) {
      it(`matches PyTorch: ${c.name} (output and input gradient)`, () => {
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

    it('leaks nothing in forward and in a gradient step', async () => {
      const c = cases[3]!;
      const pool = build(c);
      const x = tf.variable(T(c.x));
      await expectNoLeaks(() => pool.apply(x).dispose(), { what: 'MaxPool2d forward' });
      await expectNoLeaks(
        () => {
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(pool.apply(x))) as tf.Scalar, [x]);
          tf.dispose([value, ...Object.values(grads)]);
        },
        { what: 'MaxPool2d variableGrads' },
      );
      x.dispose();
    });
  });
}

describe('MaxPool2d (cpu)', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it("computes PyTorch's output sizes, including ceil mode's last-window rule", () => {
    expect(poolOutputSize(6, 3, 2, 1, false)).toBe(3);
    expect(poolOutputSize(6, 3, 2, 1, true)).toBe(4);
    // ceil would give 4, but the 4th window would start at 6 ≥ H + pad = 5: dropped (PyTorch).
    expect(poolOutputSize(5, 2, 2, 0, true)).toBe(3);
    expect(poolOutputSize(4, 2, 2, 1, true)).toBe(3);
  });

  it('produces poolOutputSize for every small size, kernel, stride, padding and mode', () => {
    for (let h = 2; h <= 7; h++) {
      const x = tf.randomNormal([1, h, 3, 1]);
      for (const k of [2, 3]) {
        for (const s of [1, 2, 3]) {
          for (const p of [0, 1]) {
            for (const ceilMode of [false, true]) {
              const want = poolOutputSize(h, k, s, p, ceilMode);
              if (want < 1) continue;
              const y = new MaxPool2d([k, 1], { stride: [s, 1], padding: [p, 0], ceilMode }).apply(x);
              expect([h, k, s, p, ceilMode, y.shape[1]]).toEqual([h, k, s, p, ceilMode, want]);
              y.dispose();
            }
          }
        }
      }
      x.dispose();
    }
  });

  it('never picks the −∞ padding, even for all-negative inputs', () => {
    const pool = new MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true });
    const x = tf.variable(tf.fill([1, 4, 4, 1], -5));
    const y = pool.apply(x);
    expect(y.shape).toEqual([1, 3, 3, 1]);
    expect(Array.from(y.dataSync())).toEqual(new Array(9).fill(-5));
    // Each window's gradient reaches its first (top-left-most) real element.
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(pool.apply(xi)))(x);
    // prettier-ignore
    expect(Array.from(dx.dataSync())).toEqual([1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1]);
    tf.dispose([x, y, dx]);
  });

  it('validates arguments and inputs', () => {
    expect(() => new MaxPool2d(2, { padding: 2 })).toThrow(
      /MaxPool2d: padding \[2,2\] must be at most half of kernelSize \[2,2\]/,
    );
    expect(() => new MaxPool2d([2, 0])).toThrow(/MaxPool2d: kernelSize must be an integer ≥ 1 or a pair/);
    const pool = new MaxPool2d(3);
    const tiny = tf.zeros([1, 2, 5, 1]);
    expect(() => pool.apply(tiny)).toThrow(
      /MaxPool2d\(kernel_size=\(3, 3\).*\)\.forward: input \[1,2,5,1\] is too small/,
    );
    expect(pool.toString()).toBe(
      'MaxPool2d(kernel_size=(3, 3), stride=(3, 3), padding=(0, 0), ceil_mode=False)',
    );
    tiny.dispose();
  });
});
