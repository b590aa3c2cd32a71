import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { ReLU } from './relu.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('ReLU', () => {
  it('is max(x, 0) with gradient 0 at 0 (as PyTorch), leaking nothing', async () => {
    const relu = new ReLU();
    const x = tf.variable(tf.tensor1d([-1, 0, 2]));
    const y = await expectNoLeaks(() => relu.apply(x), { what: 'ReLU forward' });
    expect(Array.from(y.dataSync())).toEqual([0, 0, 2]);
    await expectNoLeaks(
      () => {
        const { value, grads } = tf.variableGrads(() => tf.sum(relu.apply(x)) as tf.Scalar, [x]);
        expect(Array.from(grads[x.name]!.dataSync())).toEqual([0, 0, 1]);
        tf.dispose([value, ...Object.values(grads)]);
      },
      { what: 'ReLU variableGrads' },
    );
    expect(relu.parameters()).toHaveLength(0);
    expect(() => relu.apply([1] as never)).toThrow(/ReLU\.forward: input must be a tf\.Tensor/);
    tf.dispose([x, y]);
  });
});
