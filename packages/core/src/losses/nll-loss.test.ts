import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { crossEntropy } from './cross-entropy.js';
import { nllLoss } from './nll-loss.js';

// nllLoss is crossEntropy without the log-softmax; crossEntropy's PyTorch goldens cover both paths.
describe('nllLoss', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  const logits = () =>
    tf.tensor3d([
      [
        [0.2, -1, 3],
        [1, 1, 0.5],
      ],
      [
        [-2, 0.3, 0.1],
        [4, -4, 0],
      ],
    ]);
  const target = () =>
    tf.tensor2d(
      [
        [2, -100],
        [0, 1],
      ],
      undefined,
      'int32',
    );

  it('equals crossEntropy on log-probabilities, for every reduction and with weights', async () => {
    const [x, t] = [logits(), target()];
    const logp = tf.logSoftmax(x);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const options = { reduction, weight: [1, 0.5, 2] };
      const a = await expectNoLeaks(() => nllLoss(logp, t, options));
      expectClose(a, crossEntropy(x, t, options), { what: reduction });
    }
  });

  it('computes −weight[y]·input[y] by hand', () => {
    const input = tf.tensor2d([
      [-0.5, -1.5],
      [-2, -0.25],
    ]);
    const t = tf.tensor1d([1, 0], 'int32');
    expectClose(nllLoss(input, t, { reduction: 'none', weight: [2, 3] }), [4.5, 4]);
    expectClose(nllLoss(input, t, { weight: [2, 3] }), (4.5 + 4) / 5);
  });

  it('validates target dtype and shape', () => {
    expect(() => nllLoss(logits(), target().cast('float32'))).toThrow(
      'nllLoss: target must hold int32 class indices, got float32',
    );
    expect(() => nllLoss(tf.scalar(1), tf.scalar(0, 'int32'))).toThrow(
      'nllLoss: input must have a class axis (last), got a scalar',
    );
    expect(() => nllLoss(logits(), target(), { ignoreIndex: 0.5 })).toThrow(
      'nllLoss: ignoreIndex must be an integer, got 0.5',
    );
  });
});
