import { Conv2d, initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FrozenVgg19, flipKernel, vggConv } from './frozen-vgg.js';
import { Vgg19 } from './vgg19.js';

for (const backend of await testBackends()) {
  describe(`vggConv and FrozenVgg19 (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('is Conv2d (+ ReLU) forward, and its input gradient passes finite differences', async () => {
      const conv = new Conv2d(2, 3, 3, { padding: 1 });
      // Seeded weights (Conv2d's init is not): random ones put a pre-activation within eps of the ReLU's kink
      // now and then, and the finite differences then fail on a correct gradient.
      tf.tidy(() => {
        (conv.weight as tf.Variable).assign(tf.randomUniform([3, 3, 2, 3], -0.5, 0.5, 'float32', 3));
        (conv.bias as tf.Variable).assign(tf.randomUniform([3], -0.5, 0.5, 'float32', 4));
      });
      const x = tf.randomNormal([1, 4, 5, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
      const k = flipKernel(conv.weight as tf.Tensor4D);
      try {
        const y = await expectNoLeaks(() => vggConv(x, conv, true, k));
        expectClose(
          y,
          tf.tidy(() => tf.relu(conv.apply(x))),
          { rtol: 1e-5, atol: 1e-6 },
        );
        y.dispose();
        // Weighted sums so that every output's gradient differs; eps small against the ReLU's kink.
        const w = tf.randomNormal([1, 4, 5, 3], 0, 1, 'float32', 2);
        for (const relu of [false, true]) {
          for (const flipped of [k, undefined]) {
            gradCheck((t) => tf.sum(tf.mul(vggConv(t as tf.Tensor4D, conv, relu, flipped), w)), [x], {
              eps: 1e-3,
              what: `vggConv relu=${relu} ${flipped ? 'precomputed' : 'on the fly'}`,
            });
          }
        }
        // The weights are constants: no gradient reaches them (so no filter gradient is ever computed).
        expect(() => tf.variableGrads(() => tf.sum(vggConv(x, conv, true, k)), [conv.weight])).toThrow(
          /Cannot find a connection between any variable and the result/,
        );
        w.dispose();
      } finally {
        tf.dispose([x, k]);
        conv.dispose();
      }
    });

    it('flips every conv of the layers it covers, and frees them', () => {
      const net = new Vgg19({ lastLayer: 7 });
      try {
        const before = tf.memory().numTensors;
        const frozen = new FrozenVgg19(net, 5);
        expect(tf.memory().numTensors - before).toBe(3); // conv layers 0, 2, 5
        expect(frozen.flipped(5)!.shape).toEqual([3, 3, 128, 64]);
        expect(frozen.flipped(7)).toBeUndefined();
        expect(() => new FrozenVgg19(net, 8)).toThrow(
          /FrozenVgg19: lastLayer must be an integer in \[0, 7\], got 8/,
        );
        frozen.dispose();
        expect(tf.memory().numTensors).toBe(before);
        expect(() => frozen.flipped(0)).toThrow(/used after dispose/);
      } finally {
        net.dispose();
      }
    });
  });
}
