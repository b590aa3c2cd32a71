import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { flipDetectionBatch } from './augment.js';

for (const backend of await testBackends()) {
  describe(`flipDetectionBatch (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('mirrors the chosen images and their boxes, leaves padding rows and the others alone', async () => {
      const images = tf.tensor4d(
        Array.from({ length: 2 * 2 * 3 * 1 }, (_, i) => i),
        [2, 2, 3, 1],
      );
      const labels = tf.tensor3d([
        [
          [0, 0.1, 0.2, 0.3, 0.4],
          [-1, -1, -1, -1, -1],
        ],
        [
          [1, 0.5, 0.5, 0.9, 0.6],
          [-1, -1, -1, -1, -1],
        ],
      ]);
      const [fi, fl] = await expectNoLeaks(() => flipDetectionBatch(images, labels, [true, false]));
      expectClose(fi, tf.tensor4d([2, 1, 0, 5, 4, 3, 6, 7, 8, 9, 10, 11], [2, 2, 3, 1]));
      expectClose(
        fl,
        tf.tensor3d([
          [
            [0, 0.7, 0.2, 0.9, 0.4],
            [-1, -1, -1, -1, -1],
          ],
          [
            [1, 0.5, 0.5, 0.9, 0.6],
            [-1, -1, -1, -1, -1],
          ],
        ]),
        { atol: 1e-6 },
      );
      expect(() => flipDetectionBatch(images, labels, [true])).toThrow(
        /flipDetectionBatch: flip must have 2 booleans/,
      );
      tf.dispose([images, labels, fi, fl]);
    });
  });
}
