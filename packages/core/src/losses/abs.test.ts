import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks, gradCheck } from '../testing/index.js';
import { absSignGrad } from './abs.js';

describe('absSignGrad', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('is |x| with gradient sign(x): 0 at a tie as in PyTorch (tfjs abs gives -1 there)', async () => {
    const x = tf.tensor([-2, 0, 3]);
    expect(Array.from(absSignGrad(x).dataSync())).toEqual([2, 0, 3]);
    const g = await expectNoLeaks(() => tf.grad((a: tf.Tensor) => tf.sum(absSignGrad(a)))(x));
    expect(Array.from(g.dataSync())).toEqual([-1, 0, 1]);
    expect(
      Array.from(
        tf
          .grad((a: tf.Tensor) => tf.sum(tf.abs(a)))(x)
          .dataSync(),
      ),
    ).toEqual([-1, -1, 1]);
  });

  it('agrees with finite differences away from 0', () => {
    gradCheck(
      (a) => tf.mul(absSignGrad(a), tf.tensor([1, 2, -3, 0.5])),
      [tf.tensor([0.7, -1.3, 2.2, -0.2])],
      {
        eps: 1e-3,
        what: 'absSignGrad',
      },
    );
  });
});
