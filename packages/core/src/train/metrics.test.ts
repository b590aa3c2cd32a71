import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { accuracy, countCorrect, MeanMetric } from './metrics.js';

/** Naive reference: d2l's accuracy, argmax over the last axis (first maximum on ties, as torch.argmax). */
function naiveCorrect(scores: number[][], labels: number[]): number {
  let n = 0;
  scores.forEach((row, i) => {
    let best = 0;
    row.forEach((v, j) => {
      if (v > row[best]!) best = j;
    });
    if (best === labels[i]) n++;
  });
  return n;
}

describe('metrics', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('MeanMetric is the weighted mean of its updates', () => {
    const m = new MeanMetric('loss');
    expect(m.result()).toBeNaN();
    m.update(2, 4); // a batch of 4 with mean loss 2
    m.update(5, 2);
    expect(m.result()).toBeCloseTo((2 * 4 + 5 * 2) / 6, 12);
    expect(m.count).toBe(6);
    m.update(Number.NaN);
    expect(m.result()).toBeNaN(); // a diverged loss is not hidden
    m.reset();
    expect(m.count).toBe(0);
    expect(() => m.update(1, -1)).toThrow(
      'MeanMetric(loss).update: weight must be a finite number ≥ 0, got -1',
    );
  });

  it('countCorrect matches d2l accuracy on class scores [N, C] without reading', async () => {
    const scores = [
      [0.1, 0.7, 0.2],
      [0.9, 0.05, 0.05],
      [0.2, 0.2, 0.6],
      [0.3, 0.3, 0.4],
      [0.5, 0.5, 0.0],
    ];
    const labels = [1, 0, 1, 2, 1];
    const yHat = tf.tensor2d(scores);
    const y = tf.tensor1d(labels, 'int32');
    const c = await expectNoLeaks(() => countCorrect(yHat, y));
    expect(c.dtype).toBe('float32');
    expect(c.rank).toBe(0);
    expect((await c.data())[0]).toBe(naiveCorrect(scores, labels));
    c.dispose();
    expect(
      await accuracy(
        yHat,
        tf.tidy(() => tf.cast(y, 'float32')),
      ),
    ).toBeCloseTo(naiveCorrect(scores, labels) / 5, 7);
    tf.dispose([yHat, y]);
  });

  it('countCorrect takes NHWC segmentation scores [N, H, W, C] against labels [N, H, W], and label predictions', async () => {
    const scores = tf.tensor4d([0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7], [1, 2, 2, 2]); // argmax: 0, 1, 0, 1
    const labels = tf.tensor3d([0, 1, 1, 1], [1, 2, 2], 'int32');
    expect(await accuracy(scores, labels)).toBe(0.75);
    const predicted = tf.tensor1d([1, 2, 3], 'int32');
    expect(await accuracy(predicted, tf.tensor1d([1, 0, 3], 'int32'))).toBeCloseTo(2 / 3, 7);
    tf.dispose([scores, labels, predicted]);
  });

  it('names mismatched shapes', () => {
    const yHat = tf.zeros([4, 3]);
    const y = tf.zeros([5], 'int32');
    expect(() => countCorrect(yHat, y)).toThrow('countCorrect: yHat [4,3] and y [5] do not match');
    tf.dispose([yHat, y]);
  });
});
