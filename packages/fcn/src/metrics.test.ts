import { initBackend } from '@cv/core';
import { expectNoLeaks } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SegmentationMetric } from './metrics.js';

describe('SegmentationMetric', () => {
  beforeAll(async () => {
    await initBackend('cpu', { log: false });
  });

  it('counts pixel accuracy and mean IoU over labelled pixels (torchvision ConfusionMatrix)', () => {
    const m = new SegmentationMetric(3);
    // labels:      0 0 1 1 2 255
    // predictions: 0 1 1 1 0 2
    m.updateArrays([0, 0, 1, 1, 2, 255], [0, 1, 1, 1, 0, 2]);
    const s = m.compute();
    expect(s.pixels).toBe(5);
    expect(s.pixelAccuracy).toBeCloseTo(3 / 5, 12);
    // class 0: TP 1, FP 1 (from class 2), FN 1 → 1/3; class 1: TP 2, FP 1, FN 0 → 2/3; class 2: TP 0, FN 1 → 0
    expect(s.classIoU[0]).toBeCloseTo(1 / 3, 12);
    expect(s.classIoU[1]).toBeCloseTo(2 / 3, 12);
    expect(s.classIoU[2]).toBe(0);
    expect(s.meanIoU).toBeCloseTo((1 / 3 + 2 / 3 + 0) / 3, 12);
  });

  it('leaves classes absent from labels and predictions out of the mean', () => {
    const m = new SegmentationMetric(21);
    m.updateArrays([0, 0, 5, 5], [0, 0, 5, 5]);
    const s = m.compute();
    expect(s.meanIoU).toBe(1);
    expect(Number.isNaN(s.classIoU[3]!)).toBe(true);
  });

  it('takes logits and labels tensors without leaking', async () => {
    const m = new SegmentationMetric(2);
    const logits = tf.tensor4d([1, 0, 0, 1, 0, 1, 1, 0], [1, 2, 2, 2]); // argmax 0 1 1 0
    const labels = tf.tensor3d([0, 1, 0, 255], [1, 2, 2], 'int32');
    await expectNoLeaks(() => m.update(logits, labels));
    expect(m.compute().pixelAccuracy).toBeCloseTo(2 / 3, 12);
    tf.dispose([logits, labels]);
  });

  it('rejects labels outside the classes', () => {
    const m = new SegmentationMetric(2);
    expect(() => m.updateArrays([0, 7], [0, 1])).toThrow(/label 7 at flat index 1 is outside \[0, 2\)/);
  });
});
