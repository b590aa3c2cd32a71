import { initBackend, Rng, VOC_COLORMAP } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  VOC_CLASSES,
  VOC_DETECTION_CLASSES,
  vocColormap2label,
  vocLabelIndices,
  vocRandCrop,
} from './index.node.js';

const key = (c: readonly number[]) => (c[0]! * 256 + c[1]!) * 256 + c[2]!;

describe('VOC constants', () => {
  it("match d2l's lists", () => {
    expect(VOC_CLASSES).toHaveLength(21);
    expect(VOC_CLASSES[15]).toBe('person');
    expect(VOC_CLASSES[20]).toBe('tv/monitor');
    expect(VOC_DETECTION_CLASSES).toHaveLength(20);
    expect(VOC_DETECTION_CLASSES[14]).toBe('person');
    // d2l's VOC_COLORMAP, spelled out
    expect(VOC_COLORMAP.slice(0, 4)).toEqual([
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
      [128, 128, 0],
    ]);
    expect(VOC_COLORMAP[20]).toEqual([0, 64, 128]);
  });
});

describe('vocColormap2label', () => {
  it("maps every class colour to its index, the border to 255 and other colours to -1 (d2l's 0 on request)", () => {
    const t = vocColormap2label();
    expect(t.length).toBe(256 ** 3);
    for (const [i, c] of VOC_COLORMAP.entries()) expect(t[key(c)]).toBe(i);
    expect(t[key([224, 224, 192])]).toBe(255);
    expect(t[key([1, 2, 3])]).toBe(-1);
    const d2l = vocColormap2label({ unknownLabel: 0, borderLabel: null });
    expect(d2l[key([224, 224, 192])]).toBe(0);
    expect(d2l[key([128, 0, 0])]).toBe(1);
  });
});

for (const backend of await testBackends()) {
  describe(`label ops (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('vocLabelIndices: colours → indices, border → 255, no leaks', async () => {
      const colors = [
        VOC_COLORMAP[0]!,
        VOC_COLORMAP[15]!,
        [224, 224, 192],
        VOC_COLORMAP[20]!,
        VOC_COLORMAP[1]!,
        VOC_COLORMAP[0]!,
      ];
      const img = tf.tensor3d(colors.flat(), [2, 3, 3], 'int32');
      const out = await expectNoLeaks(() => vocLabelIndices(img));
      expect(out.dtype).toBe('int32');
      expectClose(out, [
        [0, 15, 255],
        [20, 1, 0],
      ]);
      const table = vocColormap2label();
      const again = vocLabelIndices(img, table);
      expectClose(again, out);
      tf.dispose([img, out, again]);
    });

    it('vocLabelIndices: an unknown colour is an error naming it and the pixel', () => {
      const img = tf.tensor3d([0, 0, 0, 10, 20, 30], [1, 2, 3], 'int32');
      expect(() => vocLabelIndices(img)).toThrow('colour (10, 20, 30) at x=1, y=0');
      img.dispose();
    });

    it('vocRandCrop: the same rectangle of image and label; errors when the image is smaller', async () => {
      const img = tf.tidy(() => tf.range(0, 8 * 10 * 3, 1, 'int32').reshape([8, 10, 3])) as tf.Tensor3D;
      const lab = tf.tidy(() => tf.range(0, 80, 1, 'int32').reshape([8, 10])) as tf.Tensor2D;
      const [f, l] = await expectNoLeaks(() => vocRandCrop(img, lab, 4, 5, new Rng(3)));
      expect(f.shape).toEqual([4, 5, 3]);
      expect(l.shape).toEqual([4, 5]);
      const p0 = l.dataSync()[0]!;
      const top = Math.floor(p0 / 10);
      const left = p0 % 10;
      expectClose(f, img.slice([top, left, 0], [4, 5, 3]));
      expectClose(l, lab.slice([top, left], [4, 5]));
      expect(() => vocRandCrop(img, lab, 9, 5)).toThrow(/larger than the image/);
      tf.dispose([img, lab, f, l]);
    });
  });
}
