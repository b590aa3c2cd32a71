import { Conv2d, initBackend } from '@cv/core';
import { testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConvTranspose2d } from './conv-transpose2d-module.js';
import { readFixture } from './test-utils.js';

// The seed's section 10 examples through the layer (d2l 13.10.1–13.10.2), with the printed tensors as the seed
// prints them; fixtures/seed.json holds the same values as PyTorch 1.13 computed them.
const seed = readFixture<{
  layer: number[][];
  padding1: number[][];
  stride2: number[][];
  tconvConvShapeEqual: boolean;
}>('seed.json');

/** `nn.ConvTranspose2d(1, 1, kernel_size=2, bias=False, **options); tconv.weight.data = K; tconv(X)`. */
function seedLayer(options: { padding?: number; stride?: number }): number[][] {
  const tconv = new ConvTranspose2d(1, 1, 2, { bias: false, ...options });
  const K = tf.tensor4d([0, 1, 2, 3], [1, 1, 2, 2]); // PyTorch's [in, out, kh, kw]
  tconv.loadStateDict({ weight: K });
  const X = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]);
  const y = tconv.apply(X);
  const out = (y.arraySync() as number[][][][])[0]!.map((row) => row.map((px) => px[0]!));
  tf.dispose([K, X, y]);
  tconv.dispose();
  return out;
}

for (const backend of await testBackends()) {
  describe(`the seed's transposed-convolution examples on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('the 2x2 example through nn.ConvTranspose2d: padding 0, padding 1, stride 2', () => {
      expect(seedLayer({})).toEqual([
        [0, 0, 1],
        [0, 4, 6],
        [4, 12, 9],
      ]);
      expect(seedLayer({ padding: 1 })).toEqual([[4]]);
      expect(seedLayer({ stride: 2 })).toEqual([
        [0, 0, 0, 1],
        [0, 0, 2, 3],
        [0, 2, 0, 3],
        [4, 6, 6, 9],
      ]);
      expect(seedLayer({})).toEqual(seed.layer);
      expect(seedLayer({ padding: 1 })).toEqual(seed.padding1);
      expect(seedLayer({ stride: 2 })).toEqual(seed.stride2);
    });

    it('tconv(conv(X)).shape == X.shape for Conv2d(10, 20, k5, p2, s3) and ConvTranspose2d(20, 10, k5, p2, s3)', () => {
      const conv = new Conv2d(10, 20, 5, { padding: 2, stride: 3 });
      const tconv = new ConvTranspose2d(20, 10, 5, { padding: 2, stride: 3 });
      tf.tidy(() => {
        const X = tf.randomUniform([1, 16, 16, 10]);
        const Y = conv.apply(X);
        expect(Y.shape).toEqual([1, 6, 6, 20]);
        const Z = tconv.apply(Y);
        expect(Z.shape).toEqual(X.shape);
      });
      expect(seed.tconvConvShapeEqual).toBe(true);
      conv.dispose();
      tconv.dispose();
    });
  });
}
