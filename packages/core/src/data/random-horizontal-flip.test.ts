import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { flipBoxesHorizontal, randomHorizontalFlip } from './random-horizontal-flip.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('randomHorizontalFlip', () => {
  const image = () =>
    tf.tensor3d([
      [[1], [2], [3]],
      [[4], [5], [6]],
    ]);
  const label = () =>
    tf.tensor2d(
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
      undefined,
      'int32',
    );

  it('flips image, label and normalized boxes together', async () => {
    const [x, y] = [image(), label()];
    const boxes = tf.tensor2d([[0.1, 0.2, 0.4, 0.9]]);
    const out = await expectNoLeaks(() => randomHorizontalFlip(x, y, () => 0.1, { boxes }));
    expect(out.flipped).toBe(true);
    expect(out.image.arraySync()).toEqual([
      [[3], [2], [1]],
      [[6], [5], [4]],
    ]);
    expect(out.label!.arraySync()).toEqual([
      [2, 1, 0],
      [5, 4, 3],
    ]);
    expectClose(out.boxes!, [[0.6, 0.2, 0.9, 0.9]]);
    tf.dispose([x, y, boxes, out.image, out.label!, out.boxes!]);
  });

  it('flips pixel boxes by the image width, and leaves everything as it was when not flipping', async () => {
    const x = image();
    const boxes = tf.tensor2d([[0, 0, 1, 2]]);
    const flipped = randomHorizontalFlip(x, null, () => 0, { boxes, boxFormat: 'pixels', p: 0.5 });
    expectClose(flipped.boxes!, [[2, 0, 3, 2]]);
    expect(flipped.label).toBeUndefined();
    const kept = await expectNoLeaks(() => randomHorizontalFlip(x, null, () => 0.7, { boxes }));
    expect(kept.flipped).toBe(false);
    expect(kept.image).not.toBe(x);
    expect(kept.image.arraySync()).toEqual(x.arraySync());
    expectClose(kept.boxes!, [[0, 0, 1, 2]]);
    tf.dispose([x, boxes, flipped.image, flipped.boxes!, kept.image, kept.boxes!]);
  });

  it('flips boxes of any leading shape, and validates', () => {
    const b = tf.tensor3d([[[0, 0, 0.5, 1]], [[0.25, 0, 1, 1]]]);
    const f = flipBoxesHorizontal(b);
    expectClose(f, [[[0.5, 0, 1, 1]], [[0, 0, 0.75, 1]]]);
    expect(() => flipBoxesHorizontal(tf.zeros([2, 5]))).toThrow(
      /flipBoxesHorizontal: boxes must be a tensor \[..., 4\] of \[x1, y1, x2, y2\], got shape \[2,5\]/,
    );
    const x = image();
    expect(() => randomHorizontalFlip(x, null, () => 0, { p: 2 })).toThrow(
      /randomHorizontalFlip: p must be in \[0, 1\], got 2/,
    );
    tf.dispose([b, f, x]);
  });
});
