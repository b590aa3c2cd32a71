import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { golden } from './golden-fixture.js';
import { multiboxTarget } from './multibox-target.js';

for (const backend of await testBackends()) {
  describe(`multiboxTarget (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of golden.multiboxTarget) {
      it(`equals d2l multibox_target: ${c.name}`, async () => {
        const anchors = tf.tensor3d(c.anchors);
        const labels = tf.tensor3d(c.labels);
        const r = await expectNoLeaks(() => multiboxTarget(anchors, labels));
        expect(r.classLabels.dtype).toBe('int32');
        expect(r.classLabels.arraySync()).toEqual(c.classLabels);
        expect(r.bboxMask.arraySync()).toEqual(c.bboxMask);
        expectClose(r.bboxOffset, c.bboxOffset, { rtol: 1e-5, atol: 1e-5, what: 'bboxOffset' });
        tf.dispose([anchors, labels, r.bboxOffset, r.bboxMask, r.classLabels]);
      });
    }

    it('anchors may be [N, 4]; an image of padding only is all background', () => {
      const anchors = tf.tensor2d([
        [0, 0, 0.5, 0.5],
        [0.5, 0.5, 1, 1],
      ]);
      const labels = tf.tensor3d([[[-1, -1, -1, -1, -1]], [[2, 0.5, 0.5, 1, 1]]]);
      const r = multiboxTarget(anchors, labels);
      expect(r.classLabels.arraySync()).toEqual([
        [0, 0],
        [0, 3],
      ]);
      expect(r.bboxMask.arraySync()).toEqual([
        [0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 1, 1, 1],
      ]);
      expectClose(
        r.bboxOffset,
        [
          [0, 0, 0, 0, 0, 0, 0, 0],
          [0, 0, 0, 0, 0, 0, 5 * Math.log(1 + 1e-6), 5 * Math.log(1 + 1e-6)],
        ],
        {
          atol: 1e-6,
        },
      );
      tf.dispose([anchors, labels, r.bboxOffset, r.bboxMask, r.classLabels]);
    });

    it('the same anchors twice (cached): same targets; bad anchors are still reported', () => {
      const c = golden.multiboxTarget[0]!;
      const anchors = tf.tensor3d(c.anchors);
      const labels = tf.tensor3d(c.labels);
      for (let k = 0; k < 2; k++) {
        const r = multiboxTarget(anchors, labels);
        expect(r.classLabels.arraySync()).toEqual(c.classLabels);
        tf.dispose([r.bboxOffset, r.bboxMask, r.classLabels]);
      }
      const bad = tf.tensor3d([
        [
          [0, 0, 1, 1],
          [0.5, 0, 0.4, 1],
        ],
      ]);
      const one = tf.tensor3d([[[0, 0, 0, 1, 1]]]);
      for (let k = 0; k < 2; k++)
        expect(() => multiboxTarget(bad, one)).toThrow('multiboxTarget: anchors[0][1] has x2 < x1');
      tf.dispose([anchors, labels, bad, one]);
    });

    it('rejects bad labels and anchors, naming the row', () => {
      const anchors = tf.tensor3d([[[0, 0, 1, 1]]]);
      const frac = tf.tensor3d([[[0.5, 0, 0, 1, 1]]]);
      expect(() => multiboxTarget(anchors, frac)).toThrow(
        'multiboxTarget: labels[0][0] has class 0.5; a class must be an integer ≥ 0, or −1 for a padding row',
      );
      const flipped = tf.tensor3d([
        [
          [-1, 0, 0, 0, 0],
          [1, 0.5, 0, 0.25, 1],
        ],
      ]);
      expect(() => multiboxTarget(anchors, flipped)).toThrow(
        'multiboxTarget: labels[0][1] (class 1) box has x2 < x1',
      );
      const four = tf.zeros([1, 2, 4]);
      expect(() => multiboxTarget(anchors, four as tf.Tensor3D)).toThrow(
        'multiboxTarget: labels must have shape [B, M, 5] (rows: class, x1, y1, x2, y2), got [1, 2, 4]',
      );
      const batched = tf.zeros([2, 3, 4]);
      expect(() => multiboxTarget(batched, frac)).toThrow(
        'multiboxTarget: anchors must have shape [1, N, 4] (or [N, 4]), got [2, 3, 4]',
      );
      tf.dispose([anchors, frac, flipped, four, batched]);
    });
  });
}

describe('multiboxTarget where the backend has no synchronous read', () => {
  it('says to await the values first, naming the backend and the tensor', async () => {
    await initBackend('cpu', { log: false });
    const anchors = tf.tensor3d([[[0, 0, 0.5, 0.5]]]);
    const labels = tf.tensor3d([[[0, 0.1, 0.1, 0.4, 0.4]]]);
    // As tfjs-webgpu in Node does for a tensor on the GPU.
    labels.dataSync = () => {
      throw new ReferenceError('OffscreenCanvas is not defined');
    };
    expect(() => multiboxTarget(anchors, labels)).toThrow(
      "@cv/anchors reads tensor values on the host, synchronously, and the 'cpu' backend could not read this " +
        '[1,1,5] float32 tensor so (OffscreenCanvas is not defined). Await its values first (await tensor.data()), ' +
        'which leaves them on the host for this read.',
    );
    tf.dispose([anchors, labels]);
  });
});
