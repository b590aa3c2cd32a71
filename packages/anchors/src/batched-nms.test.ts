import { initBackend } from '@cv/core';
import { expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchedNms } from './batched-nms.js';
import { golden } from './golden-fixture.js';
import { nms } from './nms.js';

for (const backend of await testBackends()) {
  describe(`batchedNms (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of golden.batchedNms) {
      it(`equals torchvision.ops.batched_nms (both of its paths): ${c.name}`, async () => {
        const boxes = tf.tensor2d(c.boxes);
        const scores = tf.tensor1d(c.scores);
        const idxs = tf.tensor1d(c.idxs, 'int32');
        const r = await expectNoLeaks(() => batchedNms(boxes, scores, idxs, c.iouThreshold));
        const got = Array.from(r.dataSync());
        expect(got).toEqual(c.torchvision);
        expect(got).toEqual(c.vanilla);
        expect(got).toEqual(c.coordinateTrick);
        tf.dispose([boxes, scores, idxs, r]);
      });
    }

    it('one class is nms; distinct classes never suppress each other', () => {
      const boxes = tf.tensor2d([
        [0, 0, 1, 1],
        [0, 0, 1, 1],
        [0.01, 0, 1, 1],
      ]);
      const scores = tf.tensor1d([0.9, 0.8, 0.7]);
      const same = tf.tensor1d([3, 3, 3], 'int32');
      const diff = tf.tensor1d([0, 1, 0], 'float32');
      const a = batchedNms(boxes, scores, same, 0.5);
      const b = nms(boxes, scores, 0.5);
      const c = batchedNms(boxes, scores, diff, 0.5);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      expect(Array.from(c.dataSync())).toEqual([0, 1]);
      tf.dispose([boxes, scores, same, diff, a, b, c]);
    });

    it('rejects non-integer classes and mismatched lengths', () => {
      const boxes = tf.tensor2d([[0, 0, 1, 1]]);
      const scores = tf.tensor1d([0.9]);
      const frac = tf.tensor1d([0.5]);
      const two = tf.tensor1d([0, 1], 'int32');
      expect(() => batchedNms(boxes, scores, frac, 0.5)).toThrow(
        'batchedNms: idxs[0] must be an integer class, got 0.5',
      );
      expect(() => batchedNms(boxes, scores, two, 0.5)).toThrow(
        'batchedNms: idxs [2] must have one class per box (boxes [1, 4])',
      );
      tf.dispose([boxes, scores, frac, two]);
    });
  });
}
