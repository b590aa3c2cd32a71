import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { boxCenterToCorner, boxCornerToCenter } from './box-convert.js';
import { golden } from './golden-fixture.js';

const tol = { rtol: 1e-5, atol: 1e-6 };

for (const backend of await testBackends()) {
  describe(`box conversions (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('boxCornerToCenter matches d2l box_corner_to_center (incl. zero-area boxes)', async () => {
      const b = tf.tensor2d(golden.boxes.boxes1);
      const c = await expectNoLeaks(() => boxCornerToCenter(b));
      expectClose(c, golden.boxes.cornerToCenter, { ...tol, what: 'cornerToCenter' });
      expect(c.dtype).toBe('float32');
      tf.dispose([b, c]);
    });

    it('boxCenterToCorner matches d2l box_center_to_corner and inverts boxCornerToCenter', async () => {
      const centers = tf.tensor2d(golden.boxes.cornerToCenter);
      const back = await expectNoLeaks(() => boxCenterToCorner(centers));
      expectClose(back, golden.boxes.centerToCorner, { ...tol, what: 'centerToCorner' });
      expectClose(back, golden.boxes.boxes1, { rtol: 1e-6, atol: 1e-6, what: 'round trip' });
      tf.dispose([centers, back]);
    });

    it('accepts int32 boxes and empty inputs', () => {
      const x = tf.tensor2d([[0, 0, 4, 2]], [1, 4], 'int32');
      const c = boxCornerToCenter(x);
      expectClose(c, [[2, 1, 4, 2]]);
      const e = boxCornerToCenter(tf.zeros([0, 4]) as tf.Tensor2D);
      expect(e.shape).toEqual([0, 4]);
      tf.dispose([x, c, e]);
    });

    it('differentiable', () => {
      const x = tf.tensor2d([[0.1, 0.2, 0.5, 0.9]]);
      const g = tf.grad((b: tf.Tensor) => tf.sum(tf.mul(boxCornerToCenter(b as tf.Tensor2D), [1, 2, 3, 4])))(
        x,
      );
      // d/dx1 = 0.5·1 − 3, d/dy1 = 0.5·2 − 4, d/dx2 = 0.5 + 3, d/dy2 = 1 + 4
      expectClose(g, [[-2.5, -3, 3.5, 5]]);
      tf.dispose([x, g]);
    });

    it('rejects bad shapes and values with the function, argument and value', () => {
      const bad = tf.tensor2d([[0, 0, 1]]);
      expect(() => boxCornerToCenter(bad as tf.Tensor2D)).toThrow(
        'boxCornerToCenter: boxes must have shape [N, 4], got [1, 3]',
      );
      const flipped = tf.tensor2d([[0.5, 0, 0.2, 1]]);
      expect(() => boxCornerToCenter(flipped)).toThrow(
        'boxCornerToCenter: boxes[0] has x2 < x1 (boxes are corners [x1, y1, x2, y2]): [0.5, 0, 0.20000000298023224, 1]',
      );
      const nan = tf.tensor2d([
        [0, 0, 1, 1],
        [0, Number.NaN, 1, 1],
      ]);
      expect(() => boxCornerToCenter(nan)).toThrow('boxCornerToCenter: boxes[1] is not finite');
      const negW = tf.tensor2d([[0.5, 0.5, -0.1, 1]]);
      expect(() => boxCenterToCorner(negW)).toThrow('boxCenterToCorner: boxes[0] has a negative width');
      expect(() => boxCenterToCorner([[0, 0, 1, 1]] as unknown as tf.Tensor2D)).toThrow(
        'boxCenterToCorner: boxes must be a tf.Tensor, got an array',
      );
      tf.dispose([bad, flipped, nan, negW]);
    });
  });
}
