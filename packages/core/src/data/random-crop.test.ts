import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { randomCrop, randomCropRect } from './random-crop.js';
import { Rng } from './rng.js';

beforeAll(() => initBackend('cpu', { log: false }));

/** An [H, W, 2] image whose pixel (r, c) is [r, c], and an [H, W] label r * 100 + c. */
function coordinates(h: number, w: number) {
  const image = tf.tidy(() =>
    tf.stack([tf.range(0, h).reshape([h, 1]).tile([1, w]), tf.range(0, w).reshape([1, w]).tile([h, 1])], 2),
  ) as tf.Tensor3D;
  const label = tf.tidy(() =>
    tf.add(tf.range(0, h, 1, 'int32').reshape([h, 1]).mul(100), tf.range(0, w, 1, 'int32').reshape([1, w])),
  ) as tf.Tensor2D;
  return { image, label };
}

describe('randomCrop', () => {
  it('crops the same rectangle from image and label, reproducibly from the seed', async () => {
    const { image, label } = coordinates(7, 9);
    const out = await expectNoLeaks(() => randomCrop(image, label, [3, 4], new Rng(11)));
    const { top, left } = out.rect;
    expect(out.image.shape).toEqual([3, 4, 2]);
    expect(out.label!.shape).toEqual([3, 4]);
    const px = out.image.arraySync() as number[][][];
    const lb = out.label!.arraySync() as number[][];
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) {
        expect(px[r]![c]).toEqual([top + r, left + c]);
        expect(lb[r]![c]).toBe((top + r) * 100 + left + c);
      }
    }
    expect(randomCrop(image, null, [3, 4], new Rng(11)).rect).toEqual(out.rect);
    tf.dispose([image, label, out.image, out.label!]);
  });

  it('covers every position, both ends included (torchvision get_params)', () => {
    const rng = new Rng(1);
    const tops = new Set<number>();
    const lefts = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const r = randomCropRect([5, 4], [3, 4], rng);
      tops.add(r.top);
      lefts.add(r.left);
    }
    expect([...tops].sort()).toEqual([0, 1, 2]);
    expect([...lefts]).toEqual([0]);
  });

  it('says which sizes do not fit', () => {
    const { image, label } = coordinates(4, 6);
    expect(() => randomCrop(image, label, [5, 6], new Rng(0))).toThrow(
      /randomCrop: the crop size \[5, 6\] is larger than the image \[4, 6\] \(height, width\)/,
    );
    const other = tf.zeros([4, 5]) as tf.Tensor2D;
    expect(() => randomCrop(image, other, [2, 2], new Rng(0))).toThrow(
      /randomCrop: label shape \[4,5\] does not match the image's height and width \[4, 6\]/,
    );
    expect(() => randomCrop(label as never, null, [2, 2], new Rng(0))).toThrow(
      /randomCrop: image must be a tensor \[H, W, C\], got shape \[4,6\]/,
    );
    tf.dispose([image, label, other]);
  });
});
