import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { golden } from './golden-fixture.js';
import { softNms } from './soft-nms.js';

const g = golden.softNms;

for (const backend of await testBackends()) {
  describe(`softNms (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of g.cases) {
      it(`equals the NumPy reference: ${c.method}, sigma ${c.sigma}, score threshold ${c.scoreThreshold}`, async () => {
        const boxes = tf.tensor2d(g.boxes);
        const scores = tf.tensor1d(g.scores);
        const r = await expectNoLeaks(() =>
          softNms(boxes, scores, {
            method: c.method,
            sigma: c.sigma,
            iouThreshold: c.iouThreshold,
            scoreThreshold: c.scoreThreshold,
          }),
        );
        expect(Array.from(r.indices.dataSync())).toEqual(c.indices);
        expectClose(r.scores, c.scores, { rtol: 1e-5, atol: 1e-7, what: 'scores' });
        tf.dispose([boxes, scores, r.indices, r.scores]);
      });
    }

    it('with a huge sigma nothing decays: all boxes by descending score', () => {
      const boxes = tf.tensor2d([
        [0, 0, 1, 1],
        [0, 0, 1, 1],
        [0.5, 0.5, 1, 1],
      ]);
      const scores = tf.tensor1d([0.2, 0.9, 0.5]);
      const r = softNms(boxes, scores, { sigma: 1e9 });
      expect(Array.from(r.indices.dataSync())).toEqual([1, 2, 0]);
      tf.dispose([boxes, scores, r.indices, r.scores]);
    });

    it('rejects bad options', () => {
      const boxes = tf.tensor2d([[0, 0, 1, 1]]);
      const scores = tf.tensor1d([0.2]);
      expect(() => softNms(boxes, scores, { sigma: 0 })).toThrow('softNms: sigma must be > 0, got 0');
      expect(() => softNms(boxes, scores, { method: 'hard' as 'linear' })).toThrow(
        "softNms: method must be 'gaussian' or 'linear', got 'hard'",
      );
      tf.dispose([boxes, scores]);
    });
  });
}
