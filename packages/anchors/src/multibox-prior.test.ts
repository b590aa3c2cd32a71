import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { golden } from './golden-fixture.js';
import { multiboxPrior } from './multibox-prior.js';

for (const backend of await testBackends()) {
  describe(`multiboxPrior (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of golden.multiboxPrior) {
      it(`matches d2l multibox_prior: ${c.h}x${c.w}, sizes [${c.sizes}], ratios [${c.ratios}]`, async () => {
        const x = tf.zeros([2, c.h, c.w, 3]) as tf.Tensor4D;
        const a = await expectNoLeaks(() => multiboxPrior(x, c.sizes, c.ratios));
        expect(a.shape).toEqual([1, c.h * c.w * (c.sizes.length + c.ratios.length - 1), 4]);
        expectClose(a, c.anchors, { rtol: 1e-6, atol: 1e-7, what: 'anchors' });
        tf.dispose([x, a]);
      });
    }

    it("TinySSD's five scales give 5,444 anchors (d2l's count)", () => {
      const sizes = [
        [0.2, 0.272],
        [0.37, 0.447],
        [0.54, 0.619],
        [0.71, 0.79],
        [0.88, 0.961],
      ];
      const total = [32, 16, 8, 4, 1].reduce((n, s, i) => {
        const x = tf.zeros([1, s, s, 1]) as tf.Tensor4D;
        const a = multiboxPrior(x, sizes[i]!, [1, 2, 0.5]);
        const k = a.shape[1];
        tf.dispose([x, a]);
        return n + k;
      }, 0);
      expect(total).toBe(5444);
    });

    it('rejects bad arguments', () => {
      const x = tf.zeros([1, 4, 4]);
      expect(() => multiboxPrior(x as unknown as tf.Tensor4D, [0.5], [1])).toThrow(
        'multiboxPrior: featureMap must have shape [B, H, W, C] (NHWC), got [1, 4, 4]',
      );
      const y = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
      expect(() => multiboxPrior(y, [], [1])).toThrow('multiboxPrior: sizes must be a non-empty array');
      expect(() => multiboxPrior(y, [0.5], [1, -2])).toThrow(
        'multiboxPrior: ratios must be a non-empty array of positive finite numbers, got [1, -2]',
      );
      tf.dispose([x, y]);
    });
  });
}
