import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { colorizeLabels, labelsFromColors } from './colorize-labels.js';
import { VOC_COLORMAP } from './palette.js';

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`colorizeLabels / labelsFromColors (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('colors classes with the VOC palette, 255 with the border color, others black', async () => {
      const labels = tf.tensor2d(
        [
          [0, 1, 255],
          [20, 21, -1],
        ],
        undefined,
        'int32',
      );
      const rgb = await expectNoLeaks(() => colorizeLabels(labels));
      expect(rgb.dtype).toBe('int32');
      expect(rgb.arraySync()).toEqual([
        [
          [0, 0, 0],
          [128, 0, 0],
          [224, 224, 192],
        ],
        [
          [0, 64, 128],
          [0, 0, 0],
          [0, 0, 0],
        ],
      ]);
      const custom = colorizeLabels(labels.expandDims(2), {
        palette: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        unknownColor: [9, 9, 9],
        ignoreColor: [7, 7, 7],
      });
      expect(custom.arraySync()).toEqual([
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 7, 7],
        ],
        [
          [9, 9, 9],
          [9, 9, 9],
          [9, 9, 9],
        ],
      ]);
      tf.dispose([labels, rgb, custom]);
    });

    it('maps colors back to labels (d2l voc_label_indices), border to 255', async () => {
      const labels = tf.tensor2d(
        [
          [0, 5, 255],
          [20, 13, 7],
        ],
        undefined,
        'int32',
      );
      const rgb = colorizeLabels(labels);
      const back = await expectNoLeaks(() => labelsFromColors(rgb));
      expect(back.arraySync()).toEqual(labels.arraySync());
      const odd = tf.tensor3d(
        [
          [
            [1, 2, 3],
            [224, 224, 192],
          ],
        ],
        undefined,
        'int32',
      );
      expect(labelsFromColors(odd).arraySync()).toEqual([[255, 255]]);
      // d2l's exact behavior: border and unknown colors are background.
      expect(labelsFromColors(odd, { ignoreColor: null, unknownLabel: 0 }).arraySync()).toEqual([[0, 0]]);
      expect(
        labelsFromColors(colorizeLabels(tf.tensor2d([[3]], undefined, 'int32')), {
          palette: VOC_COLORMAP,
        }).arraySync(),
      ).toEqual([[3]]);
      tf.dispose([labels, rgb, back, odd]);
    });
  });
}

describe('colorizeLabels validation', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  it('names the bad shape or palette entry', () => {
    const x = tf.zeros([2, 2, 3], 'int32');
    expect(() => colorizeLabels(x)).toThrow(
      /colorizeLabels: labels must be a tensor \[H, W\] or \[H, W, 1\] of class indices, got shape \[2,2,3\]/,
    );
    expect(() => colorizeLabels(tf.zeros([1, 1], 'int32'), { palette: [[0, 0, 256]] })).toThrow(
      /colorizeLabels: palette\[0\] must be \[r, g, b\] integers in \[0, 255\], got \[0,0,256\]/,
    );
    expect(() => labelsFromColors(tf.zeros([2, 2]))).toThrow(
      /labelsFromColors: image must be a tensor \[H, W, 3\] of RGB bytes, got shape \[2,2\]/,
    );
    x.dispose();
  });
});
