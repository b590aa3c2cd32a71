import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { denormalize, IMAGENET_MEAN, IMAGENET_STD, normalize } from './normalize.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('normalize', () => {
  it('applies (x/255 − mean)/std to int32 bytes and (x − mean)/std to float [0, 1]', async () => {
    const bytes = tf.tensor3d(
      [
        [
          [0, 128, 255],
          [255, 0, 10],
        ],
      ],
      [1, 2, 3],
      'int32',
    );
    const y = await expectNoLeaks(() => normalize(bytes));
    // Naive reference, per element.
    const expected = [0, 128, 255, 255, 0, 10].map(
      (v, i) => (v / 255 - IMAGENET_MEAN[i % 3]!) / IMAGENET_STD[i % 3]!,
    );
    expect(y.dtype).toBe('float32');
    expect(y.shape).toEqual([1, 2, 3]);
    expectClose(y, tf.tensor(expected, [1, 2, 3]), { rtol: 1e-6, atol: 1e-6 });
    const floats = tf.div(tf.cast(bytes, 'float32'), 255);
    expectClose(normalize(floats), y, { atol: 1e-6 });
    const scaled = tf.cast(bytes, 'float32');
    expectClose(normalize(scaled, IMAGENET_MEAN, IMAGENET_STD, { inputScale: 255 }), y, { atol: 1e-6 });
    const back = await expectNoLeaks(() => denormalize(y));
    expectClose(back, floats, { atol: 1e-6 });
    tf.dispose([bytes, y, floats, scaled, back]);
  });

  it('takes batches and custom statistics, and names a channel mismatch', () => {
    const x = tf.ones([2, 1, 1, 2]);
    expectClose(normalize(x, [0.5, 0], [0.5, 2]), [[[[1, 0.5]]], [[[1, 0.5]]]]);
    expect(() => normalize(x)).toThrow(
      /normalize: image has 2 channels \(shape \[2,1,1,2\]\) but mean has 3 and std 3 values/,
    );
    expect(() => normalize(x, [0, 0], [1, 0])).toThrow(/normalize: std values must be > 0, got \[1,0\]/);
    x.dispose();
  });
});
