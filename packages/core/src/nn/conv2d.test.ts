// Golden values: fixtures/nn/conv2d.json, made by fixtures/nn/make_nn_fixtures.py (PyTorch 1.13 CPU, float64
// reference from float32 inputs; asymmetric padding as F.pad + F.conv2d; loss sum(y·g)).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '../testing/index.js';
import {
  Conv2d,
  type Conv2dPadding,
  dilateKernel,
  functionalConv2d,
  resolveConv2dPadding,
} from './conv2d.js';
import type { RawTensor } from './state-dict.js';
import { CONV2D_WEIGHT_LAYOUT } from './tensor-layout.js';

interface ConvCase {
  name: string;
  options: {
    inChannels: number;
    outChannels: number;
    kernelSize: number | [number, number];
    stride: number | [number, number];
    padding: Conv2dPadding;
    dilation: number | [number, number];
    groups: number;
    bias: boolean;
  };
  x: RawTensor;
  g: RawTensor;
  y: RawTensor;
  dx: RawTensor;
  state: Record<string, RawTensor>;
  grads: Record<string, RawTensor>;
}
const cases = JSON.parse(readFileSync(new URL('../../fixtures/nn/conv2d.json', import.meta.url), 'utf8'))
  .cases as ConvCase[];
const T = (r: RawTensor) => tf.tensor(Array.from(r.data as ArrayLike<number>), [...r.shape]);

function build(c: ConvCase): Conv2d {
  const o = c.options;
  const conv = new Conv2d(o.inChannels, o.outChannels, o.kernelSize, {
    stride: o.stride,
    padding: o.padding,
    dilation: o.dilation,
    groups: o.groups,
    bias: o.bias,
  });
  conv.loadStateDict(c.state);
  return conv;
}

for (const backend of await testBackends()) {
  describe(`Conv2d on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));
    // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter until @cv/core registers one (DESIGN.md trap 2).
    const filterGrad = () => tf.getKernel('Conv2DBackpropFilter', backend) !== undefined;

    for (const c of cases) {
      it(`matches PyTorch: ${c.name} (output, input and parameter gradients)`, () => {
        const conv = build(c);
        const x = T(c.x);
        const g = T(c.g);
        const y = conv.apply(x);
        expectClose(y, T(c.y), { what: `${c.name}: y` });
        expect(y.shape).toEqual(c.y.shape);
        const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(conv.apply(xi), g)))(x);
        expectClose(dx, T(c.dx), { what: `${c.name}: dx` });
        if (filterGrad()) {
          const { grads } = tf.variableGrads(
            () => tf.sum(tf.mul(conv.apply(x), g)) as tf.Scalar,
            conv.parameters(),
          );
          const dw = CONV2D_WEIGHT_LAYOUT.toTorch(grads[conv.weight.name]!);
          expectClose(dw, T(c.grads.weight!), { what: `${c.name}: dweight (OIHW)` });
          if (conv.bias) expectClose(grads[conv.bias.name]!, T(c.grads.bias!), { what: `${c.name}: dbias` });
          tf.dispose([dw, ...Object.values(grads)]);
        } else {
          expect(() => tf.variableGrads(() => tf.sum(conv.apply(x)) as tf.Scalar, [conv.weight])).toThrow(
            /Conv2DBackpropFilter/,
          );
        }
        tf.dispose([x, g, y, dx]);
        conv.dispose();
      });
    }

    it('leaks nothing in forward and in a variableGrads step', async () => {
      const c = cases[4]!; // depthwise, dilated, padded
      const conv = build(c);
      const x = T(c.x);
      await expectNoLeaks(() => conv.apply(x).dispose(), { what: 'Conv2d forward' });
      await expectNoLeaks(
        () => {
          const vars = filterGrad() ? conv.parameters() : [];
          const xv = tf.variable(x);
          const { value, grads } = tf.variableGrads(
            () => tf.sum(tf.square(conv.apply(xv))) as tf.Scalar,
            [xv, ...vars],
          );
          tf.dispose([value, xv, ...Object.values(grads)]);
        },
        { what: 'Conv2d variableGrads' },
      );
      x.dispose();
      conv.dispose();
    });
  });
}

describe('Conv2d (cpu)', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('dilateKernel inserts zeros between taps and keeps the taps in place', () => {
    const w = tf.tensor4d([1, 2, 3, 4, 5, 6], [2, 3, 1, 1]);
    const d = dilateKernel(w, 2, 3);
    expect(d.shape).toEqual([3, 7, 1, 1]);
    // prettier-ignore
    expect(Array.from(d.dataSync())).toEqual([1, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 5, 0, 0, 6]);
    const multi = dilateKernel(tf.randomNormal([2, 2, 2, 3]) as tf.Tensor4D, 3, 1);
    expect(multi.shape).toEqual([4, 2, 2, 3]);
    tf.dispose([w, d, multi]);
  });

  it('gradCheck: grouped, dilated, strided conv with asymmetric padding (x, weight, bias)', () => {
    const x = tf.randomNormal([1, 6, 7, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([2, 3, 2, 4], 0, 0.5, 'float32', 2) as tf.Tensor4D;
    const b = tf.randomNormal([4], 0, 0.5, 'float32', 3);
    const g = tf.randomNormal([1, 3, 2, 4], 0, 1, 'float32', 4);
    const opts = {
      stride: [2, 2] as const,
      padding: [
        [1, 0],
        [0, 2],
      ] as const,
      dilation: [2, 3] as const,
      groups: 2,
    };
    const f = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(functionalConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, bi, opts), g));
    const y = functionalConv2d(x, w, b, opts);
    expect(y.shape).toEqual([1, 3, 2, 4]); // H: (6+1-3)//2+1, W: (7+2-7)//2+1
    const report = gradCheck(f, [x, w, b], { maxElements: 24, what: 'functionalConv2d' });
    expect(report.checked).toBe(24 + 24 + 4);
    tf.dispose([x, w, b, g, y]);
  });

  it('stores HWIO and writes OIHW in the state dict', () => {
    const conv = new Conv2d(4, 6, [3, 2], { groups: 2 });
    expect(conv.weight.shape).toEqual([3, 2, 2, 6]);
    const sd = conv.stateDict();
    expect(Object.keys(sd)).toEqual(['weight', 'bias']);
    expect(sd.weight!.shape).toEqual([6, 2, 3, 2]);
    expectClose(sd.weight!, tf.transpose(conv.weight, [3, 2, 0, 1]));
    tf.dispose(Object.values(sd));
    conv.dispose();
  });

  it('initialises like PyTorch: uniform within ±1/sqrt(fan_in)', () => {
    const conv = new Conv2d(8, 16, 3, { groups: 2 });
    const bound = 1 / Math.sqrt(4 * 9);
    const w = conv.weight.dataSync();
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(0.8 * bound);
    conv.dispose();
  });

  it("resolves padding: int, pair, explicit and PyTorch's 'same' (extra at the end)", () => {
    const k = [3, 4] as const;
    const one = [1, 1] as const;
    expect(resolveConv2dPadding('t', 2, k, one, one)).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expect(resolveConv2dPadding('t', [1, 0], k, one, one)).toEqual([
      [1, 1],
      [0, 0],
    ]);
    expect(
      resolveConv2dPadding(
        't',
        [
          [0, 1],
          [2, 3],
        ],
        k,
        one,
        one,
      ),
    ).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(resolveConv2dPadding('t', 'same', k, one, [1, 2])).toEqual([
      [1, 1],
      [3, 3],
    ]);
    expect(resolveConv2dPadding('t', 'same', k, one, one)).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(resolveConv2dPadding('t', 'valid', k, one, one)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(() => resolveConv2dPadding('Conv2d', 'same', k, [2, 1], one)).toThrow(
      /Conv2d: padding 'same' needs stride 1/,
    );
    expect(() => resolveConv2dPadding('Conv2d', [[1], [2, 3]] as never, k, one, one)).toThrow(
      /explicit padding must be/,
    );
    const same = new Conv2d(2, 3, [3, 4], { padding: 'same' });
    const y = same.apply(tf.ones([1, 5, 6, 2]));
    expect(y.shape).toEqual([1, 5, 6, 3]);
    tf.dispose(y);
    same.dispose();
  });

  it('validates arguments and inputs with messages naming them', () => {
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(
      /Conv2d: groups 2 must divide inChannels 3 and outChannels 4/,
    );
    expect(() => new Conv2d(3, 4, 0)).toThrow(/Conv2d: kernelSize must be an integer ≥ 1/);
    expect(() => new Conv2d(3, 4, 3, { stride: [1, 0] })).toThrow(
      /Conv2d: stride must be an integer ≥ 1 or a pair/,
    );
    expect(() => new Conv2d(0, 4, 3)).toThrow(/Conv2d: inChannels must be an integer ≥ 1, got 0/);
    const conv = new Conv2d(3, 4, 3, { dilation: 2 });
    const x = tf.zeros([1, 8, 8, 2]);
    expect(() => conv.apply(x)).toThrow(
      /Conv2d\(3, 4, .*\)\.forward: input has 2 channels \(shape \[1,8,8,2\], NHWC\), expected 3/,
    );
    const small = tf.zeros([1, 4, 8, 3]);
    expect(() => conv.apply(small)).toThrow(/padded input 4x8 .* is smaller than the dilated kernel 5x5/);
    expect(() => conv.apply(tf.zeros([8, 8, 3]))).toThrow(/input must be NHWC/);
    expect(conv.toString()).toBe('Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2))');
    tf.dispose([x, small]);
    conv.dispose();
  });
});
