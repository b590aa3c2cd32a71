import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bilinearKernel, bilinearWeights1d } from './bilinear-kernel.js';
import { convTranspose2d } from './conv-transpose2d.js';
import { readFixture, wave } from './test-utils.js';

interface Seed {
  bilinear: Record<string, number[][][][]>;
  bilinearUpsample: {
    xShape: [number, number, number, number];
    y: number[];
    yShape: number[];
    interp: number[];
  };
}
const seed = readFixture<Seed>('seed.json');

/** Upsampling by s (even) with the bilinear kernel: kernel 2s, stride s, padding s/2 (d2l 13.11.2). */
const upsample = (x: tf.Tensor4D, s: number) =>
  convTranspose2d(x, bilinearKernel(x.shape[3], x.shape[3], 2 * s), null, { stride: s, padding: s / 2 });

/** tf.image.resizeBilinear with half-pixel centres: PyTorch's interpolate(align_corners=False) (DESIGN.md trap 8). */
const resize = (x: tf.Tensor4D, s: number) =>
  tf.image.resizeBilinear(x, [x.shape[1] * s, x.shape[2] * s], false, true);

for (const backend of await testBackends()) {
  describe(`bilinearKernel on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it("equals d2l's bilinear_kernel (PyTorch layout [in, out, k, k] after transposing ours)", () => {
      for (const [key, expected] of Object.entries(seed.bilinear)) {
        const [i, o, k] = key.split(',').map(Number) as [number, number, number];
        tf.tidy(() => {
          const ours = bilinearKernel(i, o, k);
          expect(ours.shape).toEqual([k, k, o, i]);
          expectClose(tf.transpose(ours, [3, 2, 0, 1]), expected, { what: `bilinear_kernel(${key})` });
        });
      }
      expect(Array.from(bilinearWeights1d(4))).toEqual([0.25, 0.75, 0.75, 0.25]);
      expect(Array.from(bilinearWeights1d(3))).toEqual([0.5, 1, 0.5]);
    });

    it("reproduces d2l's upsampling layer (k4 s2 p1) on an image, as PyTorch computes it", () => {
      const { xShape, y, yShape } = seed.bilinearUpsample;
      tf.tidy(() => {
        const x = tf.tensor4d(
          wave(
            xShape.reduce((a, b) => a * b),
            0.5,
          ),
          xShape,
        );
        const out = upsample(x, 2);
        expect(out.shape).toEqual(yShape);
        expectClose(out, tf.tensor(y, yShape), { rtol: 1e-5, atol: 1e-6, what: 'd2l upsample' });
      });
    });

    it('upsamples like bilinear interpolation (align_corners=False) in the interior: PyTorch and tf.image agree', () => {
      const { xShape, interp, yShape } = seed.bilinearUpsample;
      tf.tidy(() => {
        const x = tf.tensor4d(
          wave(
            xShape.reduce((a, b) => a * b),
            0.5,
          ),
          xShape,
        );
        const out = upsample(x, 2);
        const [, H, W] = yShape as [number, number, number, number];
        const inner = (t: tf.Tensor) => tf.slice(t, [0, 1, 1, 0], [1, H - 2, W - 2, 3]);
        expectClose(inner(out), inner(tf.tensor(interp, yShape)), {
          rtol: 1e-5,
          atol: 1e-6,
          what: 'interior vs PyTorch',
        });
        expectClose(inner(out), inner(resize(x, 2)), {
          rtol: 1e-5,
          atol: 1e-6,
          what: 'interior vs tf.image',
        });
      });
    });

    it('at the borders it reads zeros outside the image: edges ×0.75, corners ×0.5625 of the interpolation (stride 2)', () => {
      const { xShape, interp, yShape } = seed.bilinearUpsample;
      tf.tidy(() => {
        const x = tf.tensor4d(
          wave(
            xShape.reduce((a, b) => a * b),
            0.5,
          ),
          xShape,
        );
        const out = upsample(x, 2);
        const [, H, W] = yShape as [number, number, number, number];
        const factor = (n: number) =>
          Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 0.75 : 1));
        const mask = tf.outerProduct(factor(H), factor(W)).reshape([1, H, W, 1]);
        expectClose(out, tf.mul(tf.tensor(interp, yShape), mask), {
          rtol: 1e-5,
          atol: 1e-6,
          what: 'border factors',
        });
        expect(mask.dataSync()[0]).toBe(0.5625);
      });
    });

    for (const s of [2, 4, 32]) {
      it(`with stride ${s} (kernel ${2 * s}, padding ${s / 2}) it equals the interpolation of the image ringed with zeros`, () => {
        tf.tidy(() => {
          const x = tf.tensor4d(wave(3 * 4 * 2, s), [1, 3, 4, 2]);
          const out = upsample(x, s);
          // Pad one zero pixel, interpolate, drop the s output pixels that the ring produced on each side.
          const ringed = resize(
            tf.pad(x, [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ]) as tf.Tensor4D,
            s,
          );
          const expected = tf.slice(ringed, [0, s, s, 0], [1, 3 * s, 4 * s, 2]);
          expectClose(out, expected, { rtol: 1e-5, atol: 1e-5, what: `stride ${s}` });
          // Interior (away from s/2 pixels of each border): plain interpolation.
          const h = s / 2;
          const inner = (t: tf.Tensor) => tf.slice(t, [0, h, h, 0], [1, 3 * s - s, 4 * s - s, 2]);
          expectClose(inner(out), inner(resize(x, s)), {
            rtol: 1e-5,
            atol: 1e-5,
            what: `stride ${s} interior`,
          });
        });
      });
    }

    it('rejects channel counts d2l cannot pair and leaks nothing', async () => {
      expect(() => bilinearKernel(3, 2, 4)).toThrow(
        /needs inChannels = outChannels \(or one of them 1\), got inChannels 3 and outChannels 2/,
      );
      expect(() => bilinearKernel(3, 3, 0)).toThrow(/kernelSize must be an integer ≥ 1, got 0/);
      await expectNoLeaks(() => bilinearKernel(2, 2, 4));
    });
  });
}
