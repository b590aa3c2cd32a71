import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { convertChannels, imageToTensor, tensorToImage, tensorToImageSync, toPixelImage } from './pixels.js';

beforeAll(() => initBackend('cpu', { log: false }));

// A 2x2 RGBA image: red, green / blue, half-transparent white.
const rgba = () => ({
  width: 2,
  height: 2,
  data: Uint8ClampedArray.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 128]),
});

describe('pixels', () => {
  it('reads ImageData-like RGBA into [H, W, 3] int32 or float32 tensors', async () => {
    const t = await expectNoLeaks(() => imageToTensor(rgba()));
    expect(t.dtype).toBe('int32');
    expect(t.arraySync()).toEqual([
      [
        [255, 0, 0],
        [0, 255, 0],
      ],
      [
        [0, 0, 255],
        [255, 255, 255],
      ],
    ]);
    const f = imageToTensor(rgba(), { dtype: 'float32', channels: 4 });
    expect(f.shape).toEqual([2, 2, 4]);
    expectClose(f.slice([1, 1, 3], [1, 1, 1]).reshape([1]), [128 / 255]);
    tf.dispose([t, f]);
  });

  it('round-trips tensors to pixels exactly (int32 and float32 k/255)', async () => {
    const bytes = Array.from({ length: 24 }, (_, i) => (i * 37) % 256);
    const t = tf.tensor3d(bytes, [2, 4, 3], 'int32');
    const px = await tensorToImage(t);
    expect(px).toMatchObject({ width: 4, height: 2, channels: 3 });
    expect(Array.from(px.data)).toEqual(bytes);
    const f = tf.div(tf.cast(t, 'float32'), 255);
    expect(Array.from(tensorToImageSync(f).data)).toEqual(bytes);
    const back = imageToTensor(px);
    expect(Array.from(back.dataSync())).toEqual(bytes);
    tf.dispose([t, f, back]);
  });

  it('rounds, clips and rescales float values', () => {
    const f = tf.tensor3d([-0.5, 0.5, 2, Number.NaN], [1, 4, 1]);
    expect(Array.from(tensorToImageSync(f).data)).toEqual([0, 128, 255, 0]);
    const big = tf.tensor3d([0, 127.6, 300], [1, 3, 1]);
    expect(Array.from(tensorToImageSync(big, { inputScale: 255 }).data)).toEqual([0, 128, 255]);
    const gray = tf.tensor2d([[10, 20]], undefined, 'int32');
    expect(tensorToImageSync(gray, { channels: 3 })).toMatchObject({
      channels: 3,
      data: Uint8Array.from([10, 10, 10, 20, 20, 20]),
    });
    tf.dispose([f, big, gray]);
  });

  it('converts channels like PIL (luma 601-2, alpha dropped or opaque)', () => {
    const rgb = {
      width: 2,
      height: 1,
      channels: 3 as const,
      data: Uint8Array.from([255, 0, 0, 10, 200, 30]),
    };
    // PIL: Image.new('RGB', (1, 1), (255, 0, 0)).convert('L') -> 76; (10, 200, 30) -> 124 (checked with Pillow).
    expect(Array.from(convertChannels(rgb, 1).data)).toEqual([76, 124]);
    expect(Array.from(convertChannels(rgb, 4).data)).toEqual([255, 0, 0, 255, 10, 200, 30, 255]);
    expect(
      Array.from(convertChannels({ width: 1, height: 1, channels: 2, data: Uint8Array.of(9, 50) }, 4).data),
    ).toEqual([9, 9, 9, 50]);
    expect(convertChannels(rgb, 3).data).toBe(rgb.data);
  });

  it('names bad buffers and tensors', () => {
    expect(() => toPixelImage({ width: 2, height: 2, data: new Uint8Array(5) })).toThrow(
      /toPixelImage: 5 bytes is not 1, 2, 3 or 4 channels of a 2x2 image/,
    );
    expect(() => imageToTensor({ width: 0, height: 2, data: new Uint8Array(0) })).toThrow(
      /imageToTensor: width and height must be positive integers, got 0x2/,
    );
    const bad = tf.zeros([2, 2, 5]);
    expect(() => tensorToImageSync(bad)).toThrow(
      /tensorToImageSync: image must be a tensor \[H, W\] or \[H, W, C\] with C in 1..4, got shape \[2,2,5\]/,
    );
    bad.dispose();
  });
});
