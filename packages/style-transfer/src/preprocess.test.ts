import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { postprocess, preprocess } from './preprocess.js';
import { fixture } from './test-utils.js';

for (const backend of await testBackends()) {
  describe(`preprocess/postprocess (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it("preprocess equals torchvision's ToTensor + Normalize(ImageNet) with a batch axis", async () => {
      const { bytes, shape, out } = fixture().preprocess;
      const img = tf.tensor3d(bytes, shape, 'int32');
      const x = await expectNoLeaks(() => preprocess(img));
      expect(x.shape).toEqual([1, ...shape]);
      expectClose(x.dataSync(), out, { rtol: 1e-5, atol: 1e-6 });
      // float32 input in [0, 1] is the same image.
      const y = tf.tidy(() => preprocess(tf.div(img, 255)));
      expectClose(y.dataSync(), out, { rtol: 1e-5, atol: 1e-6 });
      tf.dispose([img, x, y]);
    });

    it('preprocess resizes to [height, width]', () => {
      const img = tf.randomUniform([20, 30, 3], 0, 255, 'int32', 1);
      const x = preprocess(img, [10, 15]);
      expect(x.shape).toEqual([1, 10, 15, 3]);
      tf.dispose([img, x]);
      expect(() => preprocess(tf.zeros([4, 4]))).toThrow(
        /preprocess: image must be an RGB image \[H, W, 3\] or \[1, H, W, 3\], got shape \[4,4\]/,
      );
      expect(() => preprocess(tf.zeros([4, 4, 3]), [0, 3])).toThrow(
        /preprocess: size must be \[height, width\], integers ≥ 2, got \[0,3\]/,
      );
    });

    it("postprocess is d2l's: x·std + mean clamped to [0, 1]", async () => {
      const { in: input, out } = fixture().postprocess;
      const { shape } = fixture().preprocess;
      const x = tf.tensor4d(input, [1, ...shape]);
      const y = await expectNoLeaks(() => postprocess(x));
      expect(y.shape).toEqual(shape);
      expectClose(y.dataSync(), out, { rtol: 1e-5, atol: 1e-6 });
      tf.dispose([x, y]);
    });
  });
}
