import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { golden } from './golden-fixture.js';
import { multiboxDetection } from './multibox-detection.js';

for (const backend of await testBackends()) {
  describe(`multiboxDetection (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of golden.multiboxDetection) {
      const input = golden.inputs[c.input]!;
      it(`equals d2l multibox_detection: ${c.name}`, async () => {
        const probs = tf.tensor3d(input.clsProbs);
        const offsets = tf.tensor2d(input.offsetPreds);
        const anchors = tf.tensor3d(input.anchors);
        const r = await expectNoLeaks(() =>
          multiboxDetection(probs, offsets, anchors, {
            nmsThreshold: c.nmsThreshold,
            posThreshold: c.posThreshold,
          }),
        );
        expect(r.shape).toEqual([input.clsProbs.length, input.anchors[0]!.length, 6]);
        const got = r.arraySync() as number[][][];
        // Classes exactly (row order included), then the floats.
        expect(got.map((img) => img.map((row) => row[0]))).toEqual(
          c.expected.map((img) => img.map((row) => row[0])),
        );
        expectClose(r, c.expected, { rtol: 1e-5, atol: 1e-5, what: 'detections' });
        tf.dispose([probs, offsets, anchors, r]);
      });
    }

    it('reproduces the output printed in d2l §13.4.4 (dog 0.9 and cat 0.9 kept, two boxes suppressed)', () => {
      const anchors = tf.tensor3d([
        [
          [0.1, 0.08, 0.52, 0.92],
          [0.08, 0.2, 0.56, 0.95],
          [0.15, 0.3, 0.62, 0.91],
          [0.55, 0.2, 0.9, 0.88],
        ],
      ]);
      const probs = tf.tensor3d([
        [
          [0, 0, 0, 0],
          [0.9, 0.8, 0.7, 0.1],
          [0.1, 0.2, 0.3, 0.9],
        ],
      ]);
      const offsets = tf.zeros([1, 16]) as tf.Tensor2D;
      const r = multiboxDetection(probs, offsets, anchors);
      expectClose(
        r,
        [
          [
            [0, 0.9, 0.1, 0.08, 0.52, 0.92],
            [1, 0.9, 0.55, 0.2, 0.9, 0.88],
            [-1, 0.8, 0.08, 0.2, 0.56, 0.95],
            [-1, 0.7, 0.15, 0.3, 0.62, 0.91],
          ],
        ],
        { rtol: 1e-6, atol: 1e-6 },
      );
      tf.dispose([anchors, probs, offsets, r]);
    });

    it('rejects mismatched shapes and non-finite values', () => {
      const probs = tf.ones([1, 2, 3]) as tf.Tensor3D;
      const offsets = tf.zeros([1, 12]) as tf.Tensor2D;
      const anchors4 = tf.tensor3d([
        [
          [0, 0, 1, 1],
          [0, 0, 1, 1],
          [0, 0, 1, 1],
          [0, 0, 1, 1],
        ],
      ]);
      expect(() => multiboxDetection(probs, offsets, anchors4)).toThrow(
        'multiboxDetection: anchors [1, 4, 4] has N = 4 but clsProbs [1, 2, 3] has N = 3',
      );
      const off8 = tf.zeros([1, 8]) as tf.Tensor2D;
      expect(() => multiboxDetection(probs, off8, anchors4)).toThrow(
        'multiboxDetection: offsetPreds must have shape [B, 4N] = [1, 12] (clsProbs is [1, 2, 3]), got [1, 8]',
      );
      const bg = tf.ones([1, 1, 3]) as tf.Tensor3D;
      expect(() => multiboxDetection(bg, offsets, anchors4)).toThrow('at least one foreground class');
      const nan = tf.tensor3d([
        [
          [0.5, 0.5, 0.5],
          [0.5, Number.NaN, 0.5],
        ],
      ]);
      const anchors3 = tf.tensor3d([
        [
          [0, 0, 1, 1],
          [0, 0, 1, 1],
          [0, 0, 1, 1],
        ],
      ]);
      expect(() => multiboxDetection(nan, offsets, anchors3)).toThrow(
        'multiboxDetection: clsProbs[0][1][1] is not finite: NaN',
      );
      tf.dispose([probs, offsets, anchors4, off8, bg, nan, anchors3]);
    });
  });
}
