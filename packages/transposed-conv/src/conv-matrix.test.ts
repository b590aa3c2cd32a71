import { functionalConv2d, initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { convMatrix, kernel2matrix } from './conv-matrix.js';
import { convTranspose2d } from './conv-transpose2d.js';
import { convTranspose2dOutputSize } from './output-size.js';
import { readFixture, wave } from './test-utils.js';
import { transConv } from './trans-conv.js';

interface Seed {
  corr2d: number[][];
  kernel2matrix: number[][];
  convEqualsMatmul: boolean[][];
  transConvY: number[][];
  transConvEqualsMatmulT: boolean[][];
}
const seed = readFixture<Seed>('seed.json');

for (const backend of await testBackends()) {
  describe(`convMatrix and kernel2matrix on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it("gives the seed's W and its two all-True comparisons (d2l 13.10.3)", () => {
      tf.tidy(() => {
        const X = tf.range(0, 9).reshape([3, 3]) as tf.Tensor2D;
        const K = tf.tensor2d([
          [1, 2],
          [3, 4],
        ]);
        const W = kernel2matrix(K);
        expect(W.arraySync()).toEqual([
          [1, 2, 0, 3, 4, 0, 0, 0, 0],
          [0, 1, 2, 0, 3, 4, 0, 0, 0],
          [0, 0, 0, 1, 2, 0, 3, 4, 0],
          [0, 0, 0, 0, 1, 2, 0, 3, 4],
        ]);
        expect(W.arraySync()).toEqual(seed.kernel2matrix);
        // Y = corr2d(X, K) = [[27, 37], [57, 67]]
        const Y = tf
          .conv2d(X.reshape([1, 3, 3, 1]) as tf.Tensor4D, K.reshape([2, 2, 1, 1]) as tf.Tensor4D, 1, 'valid')
          .reshape([2, 2]);
        expect(Y.arraySync()).toEqual(seed.corr2d);
        const eq1 = tf.equal(Y, tf.matMul(W, X.reshape([9, 1])).reshape([2, 2]));
        expect(eq1.arraySync()).toEqual([
          [1, 1],
          [1, 1],
        ]);
        expect(seed.convEqualsMatmul.flat().every(Boolean)).toBe(true);
        const Z = transConv(Y as tf.Tensor2D, K);
        expect(Z.arraySync()).toEqual(seed.transConvY);
        const eq2 = tf.equal(Z, tf.matMul(W, Y.reshape([4, 1]), true, false).reshape([3, 3]));
        expect(eq2.arraySync()).toEqual([
          [1, 1, 1],
          [1, 1, 1],
          [1, 1, 1],
        ]);
        expect(seed.transConvEqualsMatmulT.flat().every(Boolean)).toBe(true);
      });
    });

    const CASES = [
      { input: [5, 6], k: [3, 3], stride: 2, padding: 1, dilation: 1 },
      { input: [7, 4], k: [2, 3], stride: [3, 1], padding: [0, 2], dilation: [2, 1] },
      { input: [4, 4], k: [1, 1], stride: 1, padding: 0, dilation: 1 },
      { input: [6, 5], k: [3, 2], stride: 2, padding: [2, 1], dilation: 2 },
    ] as const;

    it('conv(x) = W·vec(x) and convTranspose(y) = Wᵀ·vec(y) for stride, padding and dilation', () => {
      for (const c of CASES) {
        tf.tidy(() => {
          const [h, w] = c.input;
          const K = tf.tensor2d(wave(c.k[0] * c.k[1], 1), [c.k[0], c.k[1]]);
          const x = tf.tensor2d(wave(h * w, 2), [h, w]);
          const W = convMatrix([h, w], K, { stride: c.stride, padding: c.padding, dilation: c.dilation });
          const pair = (v: number | readonly number[]) =>
            (typeof v === 'number' ? [v, v] : [...v]) as [number, number];
          const [ph, pw] = pair(c.padding);
          // PyTorch's Conv2d semantics on NHWC (@cv/core; tfjs's conv2d refuses stride and dilation together).
          const conv = functionalConv2d(
            x.reshape([1, h, w, 1]) as tf.Tensor4D,
            K.reshape([c.k[0], c.k[1], 1, 1]) as tf.Tensor4D,
            null,
            {
              stride: pair(c.stride),
              padding: [
                [ph, ph],
                [pw, pw],
              ],
              dilation: pair(c.dilation),
              groups: 1,
            },
          );
          const [, oh, ow] = conv.shape;
          expect(W.shape).toEqual([oh * ow, h * w]);
          expectClose(tf.matMul(W, x.reshape([h * w, 1])).reshape([oh, ow]), conv.reshape([oh, ow]), {
            rtol: 1e-5,
            atol: 1e-6,
            what: `conv ${JSON.stringify(c)}`,
          });
          // The transposed convolution that gives back [h, w]: output padding = h − the minimum size.
          const y = tf.tensor2d(wave(oh * ow, 3), [oh, ow]);
          const geo = { stride: c.stride, padding: c.padding, dilation: c.dilation };
          const [mh, mw] = convTranspose2dOutputSize([oh, ow], [c.k[0], c.k[1]], geo);
          const t = convTranspose2d(
            y.reshape([1, oh, ow, 1]) as tf.Tensor4D,
            K.reshape([c.k[0], c.k[1], 1, 1]) as tf.Tensor4D,
            null,
            {
              ...geo,
              outputPadding: [h - mh, w - mw],
            },
          );
          expectClose(tf.matMul(W, y.reshape([oh * ow, 1]), true, false).reshape([h, w]), t.reshape([h, w]), {
            rtol: 1e-5,
            atol: 1e-6,
            what: `transpose ${JSON.stringify(c)}`,
          });
        });
      }
    });

    it('is differentiable in the kernel and leaks nothing', async () => {
      const K = tf.tensor2d(wave(6, 1), [2, 3]);
      const R = tf.tensor2d(wave(15 * 20, 2), [15, 20]);
      tf.tidy(() => {
        gradCheck(
          (k) => tf.sum(tf.mul(convMatrix([4, 5], k as tf.Tensor2D, { padding: 1, stride: [1, 2] }), R)),
          [K],
          {
            what: 'convMatrix',
          },
        );
      });
      await expectNoLeaks(() => convMatrix([4, 5], K, { padding: 1 }));
      tf.dispose([K, R]);
    });

    it('rejects a kernel that does not fit and kernel2matrix for other than 2x2', () => {
      const K3 = tf.zeros([3, 3]) as tf.Tensor2D;
      expect(() => convMatrix([2, 2], K3)).toThrow(
        /convMatrix: the 3x3 kernel .* does not fit the 2x2 input padded by \[0, 0\]: output 0x0/,
      );
      expect(() => kernel2matrix(K3)).toThrow(
        /kernel2matrix: K must be \[2, 2\].*got \[3,3\]; use convMatrix/,
      );
      K3.dispose();
    });
  });
}
