import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { stableMean } from './stable-mean.js';

for (const backend of await testBackends()) {
  describe(`stableMean (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('is the mean of 262,144 squares to float32 precision (a 512x512 Gram difference)', async () => {
      const x = tf.tidy(() => tf.square(tf.randomNormal([512, 512], 0, 1, 'float32', 7)));
      const data = x.dataSync();
      let sum = 0;
      for (const v of data) sum += v; // float64
      const m = await expectNoLeaks(() => stableMean(x));
      expectClose(m, sum / data.length, { rtol: 2e-6, what: 'mean' });
      tf.dispose([x, m]);
    });

    it("handles sizes that are not a multiple of the block, and has the mean's gradient", () => {
      const x = tf.randomNormal([3, 5, 7], 0, 1, 'float32', 8);
      expectClose(stableMean(x), tf.mean(x), { rtol: 1e-6 });
      const y = tf.randomNormal([2051], 0, 1, 'float32', 9);
      expectClose(stableMean(y), tf.mean(y), { rtol: 1e-5 });
      gradCheck((t) => stableMean(t), [x], { what: 'stableMean' });
      tf.dispose([x, y]);
    });
  });
}
