import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { golden } from './golden-fixture.js';
import { offsetBoxes, offsetInverse } from './offset-boxes.js';

const o = golden.offsets;
const tol = { rtol: 1e-5, atol: 1e-5 };

for (const backend of await testBackends()) {
  describe(`offsetBoxes / offsetInverse (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('offsetBoxes matches d2l offset_boxes (zero-area boxes give 5·log(1e-6))', async () => {
      const a = tf.tensor2d(o.anchors);
      const b = tf.tensor2d(o.assigned);
      const r = await expectNoLeaks(() => offsetBoxes(a, b));
      expectClose(r, o.offsetBoxes, { ...tol, what: 'offsetBoxes' });
      tf.dispose([a, b, r]);
    });

    it('offsetInverse matches d2l offset_inverse and inverts offsetBoxes', async () => {
      const a = tf.tensor2d(o.anchors);
      const off = tf.tensor2d(o.offsets);
      const r = await expectNoLeaks(() => offsetInverse(a, off));
      expectClose(r, o.offsetInverse, { ...tol, what: 'offsetInverse' });
      const assigned = tf.tensor2d(o.roundTripAssigned);
      const back = offsetInverse(a, offsetBoxes(a, assigned));
      expectClose(back, o.roundTrip, { ...tol, what: 'round trip (d2l)' });
      expectClose(back, o.roundTripAssigned, { rtol: 1e-4, atol: 1e-5, what: 'round trip' });
      tf.dispose([a, off, r, assigned, back]);
    });

    it('configurable weights and eps', () => {
      const a = tf.tensor2d(o.anchors);
      const b = tf.tensor2d(o.roundTripAssigned);
      const off = tf.tensor2d(o.offsets);
      const e = offsetBoxes(a, b, { weights: o.weights, eps: o.eps });
      expectClose(e, o.offsetBoxesWeighted, { ...tol, what: 'weighted offsetBoxes' });
      const d = offsetInverse(a, off, { weights: o.weights });
      expectClose(d, o.offsetInverseWeighted, { ...tol, what: 'weighted offsetInverse' });
      tf.dispose([a, b, off, e, d]);
    });

    it('differentiable in the offsets', () => {
      const a = tf.tensor2d([[0.1, 0.2, 0.5, 0.6]]);
      const off = tf.tensor2d([[0.5, -0.5, 0.2, 0.1]]);
      const g = tf.grad((x: tf.Tensor) => tf.sum(offsetInverse(a, x as tf.Tensor2D)))(off);
      // d(x1 + x2)/d ox = 2·w/10 = 0.08; d(x1 + x2)/d ow = 0 (symmetric).
      expectClose(g, [[0.08, 0.08, 0, 0]], { atol: 1e-6 });
      tf.dispose([a, off, g]);
    });

    it('rejects mismatched N, bad weights and non-finite offsets', () => {
      const a = tf.tensor2d([[0, 0, 1, 1]]);
      const two = tf.tensor2d([
        [0, 0, 1, 1],
        [0, 0, 1, 1],
      ]);
      expect(() => offsetBoxes(a, two)).toThrow(
        'offsetBoxes: anchors [1, 4] and assigned [2, 4] must have the same N',
      );
      expect(() => offsetBoxes(a, a, { weights: [1, 1, 0, 1] })).toThrow(
        'offsetBoxes: weights must be 4 positive finite numbers [wx, wy, ww, wh], got [1, 1, 0, 1]',
      );
      const nan = tf.tensor2d([[0, Number.NaN, 0, 0]]);
      expect(() => offsetInverse(a, nan)).toThrow('offsetInverse: offsets[0][1] is not finite: NaN');
      tf.dispose([a, two, nan]);
    });
  });
}
