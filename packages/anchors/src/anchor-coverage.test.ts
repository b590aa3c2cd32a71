import { initBackend } from '@cv/core';
import { expectNoLeaks } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { anchorCoverage } from './anchor-coverage.js';
import { boxIou } from './box-iou.js';
import { multiboxPrior } from './multibox-prior.js';

describe('anchorCoverage', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('counts, per box, the anchors at IoU ≥ the threshold and the best IoU (hand-computed)', () => {
    const anchors = tf.tensor2d([
      [0, 0, 0.5, 0.5],
      [0, 0, 1, 1],
      [0.5, 0.5, 1, 1],
    ]);
    const boxes = tf.tensor2d([
      [0, 0, 0.5, 0.5], // equal to anchor 0 (IoU 1), 0.25 with anchor 1
      [0.5, 0.5, 0.75, 0.75], // 0.25 with anchor 2, 1/16 with anchor 1
      [0, 0, 0.9, 0.9], // 0.81 with anchor 1, 0.25/0.81 with anchor 0
    ]);
    const c = anchorCoverage(anchors, boxes);
    expect(Array.from(c.positives)).toEqual([1, 0, 1]);
    expect(c.bestIou[0]).toBeCloseTo(1, 6);
    expect(c.bestIou[1]).toBeCloseTo(0.25, 6);
    expect(c.bestIou[2]).toBeCloseTo(0.81, 6);
    expect(c.covered).toBeCloseTo(2 / 3, 6);
    expect(c.meanBestIou).toBeCloseTo((1 + 0.25 + 0.81) / 3, 6);
    expect(Array.from(anchorCoverage(anchors, boxes, { iouThreshold: 0.25 }).positives)).toEqual([2, 1, 2]);
    tf.dispose([anchors, boxes]);
  });

  it('agrees with boxIou on multiboxPrior anchors, leaking nothing', async () => {
    const fmap = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    const anchors = multiboxPrior(fmap, [0.2, 0.4], [1, 2, 0.5]);
    const boxes = tf.tensor2d([
      [0.1, 0.1, 0.3, 0.25],
      [0.4, 0.3, 0.9, 0.95],
      [0.02, 0.6, 0.08, 0.64],
    ]);
    const c = await expectNoLeaks(() => anchorCoverage(anchors, boxes));
    const iou = boxIou(boxes, tf.reshape(anchors, [-1, 4]) as tf.Tensor2D);
    const rows = iou.arraySync() as number[][];
    rows.forEach((row, j) => {
      expect(c.bestIou[j]).toBeCloseTo(Math.max(...row), 5);
      expect(c.positives[j]).toBe(row.filter((v) => v >= 0.5).length);
    });
    tf.dispose([fmap, anchors, boxes, iou]);
  });

  it('names the bad argument', () => {
    const a = tf.tensor2d([[0, 0, 1, 1]]);
    const b3 = tf.tensor2d([[0, 0, 1]]);
    expect(() => anchorCoverage(a, b3)).toThrow(/anchorCoverage: boxes must have shape \[M, 4\]/);
    expect(() => anchorCoverage(a, a, { iouThreshold: 0 })).toThrow(
      /options.iouThreshold must be a number in \(0, 1\], got 0/,
    );
    tf.dispose([a, b3]);
  });
});
