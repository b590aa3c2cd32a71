import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ConvTranspose2dMethod,
  type ConvTranspose2dOptions,
  convTranspose2d,
} from './conv-transpose2d.js';
import {
  caseInputs,
  convFixtures,
  type FixtureCase,
  fromBase64,
  naiveConvTranspose2d,
  scaleTolerance,
  wave,
} from './test-utils.js';

// Goldens: fixtures/make_fixtures.py (torch.nn.functional.conv_transpose2d, checked against
// torch.nn.ConvTranspose2d there), inputs recomputed here with `wave`.
const fixtures = convFixtures();

/** Forward and the three gradients (for the fixture's upstream gradient dy) of one PyTorch case. */
function checkCase(c: FixtureCase, method: ConvTranspose2dMethod) {
  tf.tidy(() => {
    const { x, filter, bias, dy } = caseInputs(c);
    const options = {
      stride: c.stride,
      padding: c.padding,
      outputPadding: c.outputPadding,
      dilation: c.dilation,
      groups: c.groups,
      method,
    };
    const f = (xx: tf.Tensor, ff: tf.Tensor, bb?: tf.Tensor) =>
      tf.sum(tf.mul(convTranspose2d(xx as tf.Tensor4D, ff as tf.Tensor4D, bb ?? null, options), dy));
    const y = convTranspose2d(x, filter, bias, options);
    const what = `${c.name} (${method}, ${tf.getBackend()})`;
    const yExp = tf.tensor(fromBase64(c.y), c.yShape);
    expect(y.shape).toEqual(c.yShape);
    expectClose(y, yExp, { ...scaleTolerance(yExp), what: `${what} forward` });
    const grads = bias ? tf.grads(f)([x, filter, bias]) : tf.grads((a, b) => f(a, b))([x, filter]);
    const dx = tf.tensor(fromBase64(c.dx), c.xShape);
    const df = tf.tensor(fromBase64(c.dFilter), c.filterShape);
    expectClose(grads[0]!, dx, { ...scaleTolerance(dx), what: `${what} d/dx` });
    expectClose(grads[1]!, df, { ...scaleTolerance(df), what: `${what} d/dfilter` });
    if (bias) {
      const db = tf.tensor(fromBase64(c.dBias!), [c.outChannels]);
      expectClose(grads[2]!, db, { ...scaleTolerance(db), what: `${what} d/dbias` });
    }
  });
}

/** Shapes beyond the fixtures, against the naive loop of test-utils. */
const NAIVE: Array<
  { x: [number, number, number, number]; k: [number, number]; cout: number } & ConvTranspose2dOptions
> = [
  { x: [3, 4, 3, 6], k: [3, 3], cout: 9, stride: 2, padding: 1, outputPadding: 1, groups: 3 },
  { x: [1, 5, 2, 5], k: [2, 5], cout: 4, stride: [3, 1], padding: [1, 2], dilation: [1, 2] },
  { x: [2, 3, 3, 4], k: [4, 4], cout: 4, stride: 4, padding: 2, outputPadding: [3, 0], groups: 2 },
  { x: [1, 2, 2, 3], k: [3, 3], cout: 2, stride: 1, dilation: 3, outputPadding: 2 },
  { x: [1, 1, 1, 2], k: [1, 1], cout: 2, stride: 3, padding: 1, outputPadding: 2 }, // output reached by no tap
];

for (const backend of await testBackends()) {
  describe(`convTranspose2d on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const method of ['subpixel', 'direct', 'auto'] as const) {
      it(`matches torch.nn.ConvTranspose2d (forward and gradients) over the grid, method ${method}`, () => {
        for (const c of fixtures.cases) checkCase(c, method);
      });
    }

    it('matches PyTorch on the FCN head (kernel 64, stride 32, padding 16)', () => {
      checkCase(fixtures.fcn, 'auto');
      // The zero-inserted form multiplies 1024x more zeros: on the CPU backend its loops skip them.
      if (backend === 'cpu') checkCase(fixtures.fcn, 'direct');
    });

    it("DESIGN.md trap 6: tf.conv2dTranspose with pad [[0,0],[p,p],[p,p],[0,0]] and (H−1)·s − 2p + k + op rows is PyTorch's layer", () => {
      let checked = 0;
      for (const c of fixtures.cases) {
        if (c.groups !== 1 || c.dilation.some((d) => d !== 1)) continue;
        tf.tidy(() => {
          const { x, filter, bias } = caseInputs(c);
          const [b, h, w] = c.xShape;
          const outH = (h - 1) * c.stride[0] - 2 * c.padding[0] + c.kernelSize[0] + c.outputPadding[0];
          const outW = (w - 1) * c.stride[1] - 2 * c.padding[1] + c.kernelSize[1] + c.outputPadding[1];
          let y: tf.Tensor = tf.conv2dTranspose(x, filter, [b, outH, outW, c.outChannels], c.stride, [
            [0, 0],
            [c.padding[0], c.padding[0]],
            [c.padding[1], c.padding[1]],
            [0, 0],
          ]);
          if (bias) y = tf.add(y, bias);
          const yExp = tf.tensor(fromBase64(c.y), c.yShape);
          expectClose(y, yExp, { ...scaleTolerance(yExp), what: `trap 6, ${c.name}` });
        });
        checked++;
      }
      expect(checked).toBeGreaterThan(10);
    });

    it('matches a naive loop on more shapes (batch, groups 3, pairs, output padding from dilation, unreachable rows)', () => {
      for (const [n, t] of NAIVE.entries()) {
        for (const method of ['subpixel', 'direct'] as const) {
          tf.tidy(() => {
            const [, , , cin] = t.x;
            const groups = t.groups ?? 1;
            const x = tf.tensor4d(
              wave(
                t.x.reduce((a, b) => a * b),
                n,
              ),
              t.x,
            );
            const filter = tf.tensor4d(wave(t.k[0] * t.k[1] * (t.cout / groups) * cin, n + 0.5), [
              t.k[0],
              t.k[1],
              t.cout / groups,
              cin,
            ]);
            const bias = tf.tensor1d(wave(t.cout, n + 0.25));
            const pairOf = (
              v: number | readonly [number, number] | undefined,
              d: number,
            ): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);
            const expected = naiveConvTranspose2d(x, filter, bias, {
              stride: pairOf(t.stride, 1),
              padding: pairOf(t.padding, 0),
              outputPadding: pairOf(t.outputPadding, 0),
              dilation: pairOf(t.dilation, 1),
              groups,
            });
            const y = convTranspose2d(x, filter, bias, { ...t, method });
            expectClose(y, expected, { rtol: 1e-5, atol: 1e-5, what: `naive case ${n} (${method})` });
          });
        }
      }
    });

    it('has finite-difference gradients in x, filter and bias (both methods)', () => {
      for (const method of ['subpixel', 'direct'] as const) {
        tf.tidy(() => {
          const x = tf.tensor4d(wave(2 * 2 * 3 * 4, 1), [2, 2, 3, 4]);
          const filter = tf.tensor4d(wave(3 * 2 * 3 * 4, 2, 0.5), [3, 2, 3, 4]);
          const bias = tf.tensor1d(wave(6, 3));
          const options: ConvTranspose2dOptions = {
            stride: [2, 3],
            padding: [1, 0],
            outputPadding: [1, 2],
            dilation: [1, 2],
            groups: 2,
            method,
          };
          const weights = tf.tensor4d(wave(2 * 4 * 11 * 6, 4), [2, 4, 11, 6]);
          const report = gradCheck(
            (a, b, c) =>
              tf.sum(
                tf.mul(
                  convTranspose2d(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor1D, options),
                  weights,
                ),
              ),
            [x, filter, bias],
            { what: `convTranspose2d ${method}`, eps: 1e-2, rtol: 1e-2, atol: 2e-3 },
          );
          expect(report.checked).toBe(x.size + filter.size + bias.size);
        });
      }
    });

    it('leaks no tensor, forward or backward', async () => {
      const x = tf.tensor4d(wave(2 * 3 * 3 * 2, 1), [2, 3, 3, 2]);
      const filter = tf.tensor4d(wave(4 * 4 * 2 * 2, 2), [4, 4, 2, 2]);
      const bias = tf.tensor1d([0.5, -0.5]);
      for (const method of ['subpixel', 'direct'] as const) {
        const options = { stride: 2, padding: 1, method };
        await expectNoLeaks(() => convTranspose2d(x, filter, bias, options), { what: `forward ${method}` });
        await expectNoLeaks(
          () =>
            tf.grads((a, b, c) => tf.sum(convTranspose2d(a as tf.Tensor4D, b as tf.Tensor4D, c, options)))([
              x,
              filter,
              bias,
            ]),
          { what: `gradients ${method}` },
        );
      }
      tf.dispose([x, filter, bias]);
    });

    it('rejects bad arguments with errors that say which and why', () => {
      const x = tf.zeros([1, 4, 4, 6]) as tf.Tensor4D;
      const f = tf.zeros([3, 3, 2, 6]) as tf.Tensor4D;
      const bad = (
        what: RegExp,
        xx: tf.Tensor = x,
        ff: tf.Tensor = f,
        options: ConvTranspose2dOptions = {},
        bias: tf.Tensor | null = null,
      ) => expect(() => convTranspose2d(xx as tf.Tensor4D, ff as tf.Tensor4D, bias, options)).toThrow(what);
      bad(/channels \(x shape \[1,4,4,6\], NHWC\) are not divisible by groups 4/, x, f, { groups: 4 });
      bad(
        /outputPadding 2 must be smaller than the stride or the dilation.*height has outputPadding 2, stride 2, dilation 1/,
        x,
        f,
        {
          stride: 2,
          outputPadding: 2,
        },
      );
      bad(/outputPadding.*width has outputPadding 1, stride 1, dilation 1/, x, f, { outputPadding: [0, 1] });
      bad(
        /filter must be \[kh, kw, outChannels\/groups, inChannels\] with inChannels = 6.*got \[3,3,2,5\]/,
        x,
        tf.zeros([3, 3, 2, 5]),
      );
      bad(
        /PyTorch's layout \[in, out\/groups, kh, kw\]: convert with tf.transpose\(weight, \[2, 3, 1, 0\]\)/,
        x,
        tf.zeros([6, 2, 3, 3]),
      );
      bad(/x must have rank 4.*got shape \[4,4,6\]/, tf.zeros([4, 4, 6]));
      bad(/filter must have rank 4/, x, tf.zeros([3, 3, 6]));
      bad(
        /bias must be \[outChannels\] = \[4\] \(filter \[3,3,2,6\] × groups 2\), got \[2\]/,
        x,
        f,
        { groups: 2 },
        tf.zeros([2]),
      );
      bad(/stride must be an integer ≥ 1 or a pair/, x, f, { stride: 1.5 });
      bad(/padding must be an integer ≥ 0/, x, f, { padding: [-1, 0] });
      bad(/groups must be an integer ≥ 1, got 0/, x, f, { groups: 0 });
      bad(/method must be one of auto, subpixel, direct/, x, f, { method: 'fast' as never });
      bad(/output would be -2x-2.*padding removes more/, x, f, { padding: 4 });
      bad(/x must be float32, got int32/, tf.zeros([1, 4, 4, 6], 'int32'));
      tf.dispose([x, f]);
    });
  });
}
