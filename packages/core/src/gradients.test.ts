import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './index.node.js';
import { expectNoLeaks } from './testing/index.js';

// The generated bundle must register tfjs-core's gradients and chained methods against the one engine.
describe('gradients registered by @cv/core', () => {
  it('covers every kernel tfjs-core has a gradient for', () => {
    for (const k of [
      'Conv2D',
      'Conv2DBackpropInput',
      'MaxPool',
      'Relu',
      'Mean',
      'FusedBatchNorm',
      'ResizeBilinear',
    ]) {
      expect(tf.getGradient(k), k).toBeDefined();
    }
  });

  it('adds chained tensor methods', async () => {
    await initBackend('cpu', { log: false });
    const x = tf.tensor([1, 2, 3]);
    expect(x.mean().arraySync()).toBe(2);
    expect(x.square().sum().arraySync()).toBe(14);
  });

  it('trains a conv net with tf.variableGrads and leaks nothing', async () => {
    await initBackend('cpu', { log: false });
    const w1 = tf.variable(tf.randomNormal([3, 3, 2, 4], 0, 0.5, 'float32', 1)) as tf.Variable<tf.Rank.R4>;
    const w2 = tf.variable(tf.randomNormal([3, 3, 4, 1], 0, 0.5, 'float32', 2)) as tf.Variable<tf.Rank.R4>;
    const x = tf.randomNormal([2, 8, 8, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
    const target = tf.randomNormal([2, 2, 2, 1], 0, 1, 'float32', 4);
    const loss = () =>
      tf.tidy(() => {
        const h = tf.maxPool(
          tf.relu(
            tf.conv2d(x, w1, 2, [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ]),
          ),
          2,
          2,
          'valid',
        );
        return tf.losses.meanSquaredError(target, tf.conv2d(h, w2, 1, 'same')) as tf.Scalar;
      });
    const losses: number[] = [];
    await expectNoLeaks(() => {
      for (let step = 0; step < 5; step++) {
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(loss);
          losses.push(value.dataSync()[0]!);
          for (const v of [w1, w2]) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.01)));
        });
      }
    });
    expect(losses[4]!).toBeLessThan(losses[0]!);
    tf.dispose([w1, w2, x, target]);
  });
});
