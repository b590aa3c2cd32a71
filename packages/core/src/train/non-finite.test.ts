import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { checkFinite, NonFiniteLossError } from './non-finite.js';

describe('checkFinite', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('passes finite losses through', () => {
    expect(checkFinite(0.25, { epoch: 1, step: 1 })).toBe(0.25);
    const t = tf.tensor1d([1, 2]);
    expect(checkFinite(t, { epoch: 1 })).toBe(1);
    t.dispose();
  });

  it('throws NonFiniteLossError naming the epoch, step, value and a remedy', () => {
    let err: unknown;
    try {
      checkFinite(Number.NaN, { epoch: 3, step: 17, steps: 50, learningRate: 10 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NonFiniteLossError);
    const e = err as NonFiniteLossError;
    expect(e.name).toBe('NonFiniteLossError');
    expect(e.epoch).toBe(3);
    expect(e.step).toBe(17);
    expect(e.value).toBeNaN();
    expect(e.message).toContain('the loss is NaN at epoch 3, step 17 of 50');
    expect(e.message).toContain('Lower the learning rate (now 10)');
    expect(() => checkFinite(Number.POSITIVE_INFINITY, { epoch: 1, what: 'test loss' })).toThrow(
      'the test loss is Infinity at epoch 1.',
    );
  });

  it('checks every element of a tensor', () => {
    const t = tf.tensor1d([1, Number.NEGATIVE_INFINITY, 2]);
    expect(() => checkFinite(t, { epoch: 2, step: 1 })).toThrow('the loss is -Infinity at epoch 2, step 1');
    t.dispose();
    expect(() => checkFinite('x' as never, { epoch: 1 })).toThrow(
      'checkFinite: loss must be a number or a tensor, got string',
    );
    expect(() => checkFinite(1, {} as never)).toThrow(
      'checkFinite: the second argument must be { epoch, step? }',
    );
  });
});
