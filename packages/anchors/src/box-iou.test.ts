import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { boxArea } from './box-area.js';
import { boxIou, generalizedBoxIou } from './box-iou.js';
import { golden } from './golden-fixture.js';

const tol = { rtol: 1e-5, atol: 1e-6 };
const { boxes1, boxes2 } = golden.boxes;

for (const backend of await testBackends()) {
  describe(`boxArea, boxIou, generalizedBoxIou (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('boxArea matches torchvision box_area', async () => {
      const b = tf.tensor2d(boxes1);
      const a = await expectNoLeaks(() => boxArea(b));
      expectClose(a, golden.boxes.area, { ...tol, what: 'area' });
      tf.dispose([a, b]);
    });

    it('boxIou matches torchvision box_iou and d2l box_iou: touching → 0, zero-area pair → NaN', async () => {
      const a = tf.tensor2d(boxes1);
      const b = tf.tensor2d(boxes2);
      const iou = await expectNoLeaks(() => boxIou(a, b));
      expect(iou.shape).toEqual([boxes1.length, boxes2.length]);
      expectClose(iou, golden.boxes.iou, { ...tol, what: 'iou' });
      expectClose(iou, golden.boxes.iouD2l, { ...tol, what: 'iou (d2l)' });
      const v = iou.arraySync() as number[][];
      expect(v[6]![4]).toBe(0); // corner-touching boxes
      expect(Number.isNaN(v[8]![5]!)).toBe(true); // the same zero-width box twice: 0/0
      expect(Number.isNaN(v[8]![6]!)).toBe(true); // any two zero-area boxes: union 0
      expect(v[8]![0]).toBe(0); // zero-area vs positive area
      tf.dispose([a, b, iou]);
    });

    it('generalizedBoxIou matches torchvision generalized_box_iou', async () => {
      const a = tf.tensor2d(boxes1);
      const b = tf.tensor2d(boxes2);
      const g = await expectNoLeaks(() => generalizedBoxIou(a, b));
      expectClose(g, golden.boxes.giou, { ...tol, what: 'giou' });
      tf.dispose([a, b, g]);
    });

    it('empty sets give empty matrices', () => {
      const a = tf.zeros([0, 4]) as tf.Tensor2D;
      const b = tf.tensor2d([[0, 0, 1, 1]]);
      const r = boxIou(a, b);
      const s = generalizedBoxIou(b, a);
      expect(r.shape).toEqual([0, 1]);
      expect(s.shape).toEqual([1, 0]);
      tf.dispose([a, b, r, s]);
    });

    it('boxIou and generalizedBoxIou are differentiable (finite differences)', () => {
      const a = tf.tensor2d([
        [0.1, 0.1, 0.5, 0.6],
        [0.3, 0.2, 0.9, 0.7],
      ]);
      const b = tf.tensor2d([
        [0.2, 0.3, 0.6, 0.8],
        [0.05, 0.4, 0.45, 0.95],
      ]);
      gradCheck((x, y) => boxIou(x as tf.Tensor2D, y as tf.Tensor2D), [a, b], { eps: 1e-3, what: 'boxIou' });
      gradCheck((x, y) => generalizedBoxIou(x as tf.Tensor2D, y as tf.Tensor2D), [a, b], {
        eps: 1e-3,
        what: 'generalizedBoxIou',
      });
      tf.dispose([a, b]);
    });

    it('names the function, argument and bad shape or value', () => {
      const ok = tf.tensor2d([[0, 0, 1, 1]]);
      const rank3 = tf.zeros([1, 2, 4]);
      expect(() => boxIou(ok, rank3 as unknown as tf.Tensor2D)).toThrow(
        'boxIou: boxes2 must have shape [M, 4], got [1, 2, 4]',
      );
      const flipped = tf.tensor2d([[0, 0.5, 1, 0.25]]);
      expect(() => generalizedBoxIou(flipped, ok)).toThrow('generalizedBoxIou: boxes1[0] has y2 < y1');
      const inf = tf.tensor2d([[0, 0, Number.POSITIVE_INFINITY, 1]]);
      expect(() => boxArea(inf)).toThrow('boxArea: boxes[0] is not finite: [0, 0, Infinity, 1]');
      const bool = tf.tensor2d([[true, true, true, true]], [1, 4], 'bool');
      expect(() => boxArea(bool)).toThrow('boxArea: boxes must be float32 or int32, got dtype bool');
      tf.dispose([ok, rank3, flipped, inf, bool]);
    });
  });
}
