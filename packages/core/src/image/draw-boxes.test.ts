import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { boxesSvg, DEFAULT_BOX_COLORS, drawBoxes, layoutBoxes } from './draw-boxes.js';
import type { PixelImage } from './pixels.js';

beforeAll(() => initBackend('cpu', { log: false }));

const at = (img: PixelImage, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('drawBoxes', () => {
  it('draws outlines of the box color at the expected pixels, inside the box', async () => {
    const image = tf.fill([8, 8, 3], 100, 'int32') as tf.Tensor3D;
    const out = await expectNoLeaks(() => drawBoxes(image, [[0.25, 0.25, 0.75, 0.75]], { lineWidth: 1 }));
    const blue = [...DEFAULT_BOX_COLORS[0]!];
    // Columns and rows 2..5 (round(0.25·8) .. round(0.75·8) − 1).
    for (const [x, y] of [
      [2, 2],
      [5, 2],
      [2, 5],
      [5, 5],
      [3, 2],
      [2, 4],
    ] as const)
      expect(at(out, x, y)).toEqual(blue);
    for (const [x, y] of [
      [3, 3],
      [4, 4],
      [1, 2],
      [6, 5],
      [2, 1],
      [2, 6],
    ] as const)
      expect(at(out, x, y)).toEqual([100, 100, 100]);
    expect(out).toMatchObject({ width: 8, height: 8, channels: 3 });
    // The input is unchanged.
    expect(Array.from(image.dataSync()).every((v) => v === 100)).toBe(true);
    image.dispose();
  });

  it('takes pixel boxes and tensors, cycles colors, and clips boxes leaving the image', () => {
    const img = { width: 10, height: 6, channels: 3 as const, data: new Uint8Array(180) };
    const boxes = tf.tensor2d([
      [1, 1, 4, 4],
      [6, -3, 14, 3],
    ]);
    const out = drawBoxes(img, boxes, {
      boxFormat: 'pixels',
      lineWidth: 2,
      colors: [
        [255, 0, 0],
        [0, 255, 0],
      ],
    });
    expect(at(out, 1, 1)).toEqual([255, 0, 0]);
    expect(at(out, 2, 2)).toEqual([255, 0, 0]); // second line of the 2-pixel outline
    expect(at(out, 3, 3)).toEqual([255, 0, 0]); // 3x3 box: all outline
    expect(at(out, 4, 4)).toEqual([0, 0, 0]);
    // Box 2 covers columns 6..13 and rows −3..2: its left edge (6, 7) and bottom edge (rows 1, 2) are visible.
    expect(at(out, 6, 0)).toEqual([0, 255, 0]);
    expect(at(out, 9, 2)).toEqual([0, 255, 0]);
    expect(at(out, 9, 0)).toEqual([0, 0, 0]);
    expect(Array.from(img.data).every((v) => v === 0)).toBe(true);
    boxes.dispose();
  });

  it('draws labels and scores in a tag of the box color (d2l show_bboxes)', () => {
    const img = { width: 40, height: 30, channels: 3 as const, data: new Uint8Array(40 * 30 * 3).fill(255) };
    const opts = {
      labels: ['cat'],
      scores: [0.875],
      boxFormat: 'pixels' as const,
      fontScale: 1,
      colors: [[0, 0, 255]] as const,
    };
    const [place] = layoutBoxes(40, 30, [[5, 4, 35, 25]], opts);
    expect(place!.text).toBe('cat=0.88');
    expect(place!.tag).toEqual({ x: 5, y: 4, width: 8 * 4 - 1 + 2, height: 7 });
    expect(place!.textColor).toEqual([255, 255, 255]);
    const out = drawBoxes(img, [[5, 4, 35, 25]], opts);
    // 'C' of the font: row 0 is '011' → font pixel (1, 0) inked white at (5 + 1 + 1, 4 + 1); (5 + 1, 4 + 1) is the tag.
    expect(at(out, 7, 5)).toEqual([255, 255, 255]);
    expect(at(out, 6, 5)).toEqual([0, 0, 255]);
    const none = drawBoxes(img, [[5, 4, 35, 25]], { ...opts, text: 'none' });
    expect(at(none, 7, 5)).toEqual([0, 0, 255]);
    // Labels near the right edge move left to stay inside.
    const [edge] = layoutBoxes(40, 30, [[0.9, 0.5, 1, 1]], { labels: ['dog'], fontScale: 1 });
    expect(edge!.tag.x + edge!.tag.width).toBeLessThanOrEqual(40);
  });

  it('validates boxes and options', () => {
    const img = tf.zeros([4, 4, 3], 'int32');
    expect(() => drawBoxes(img, tf.zeros([2, 5]))).toThrow(
      /drawBoxes: boxes must be \[N, 4\] corners \[x1, y1, x2, y2\], got shape \[2,5\]/,
    );
    expect(() => drawBoxes(img, [[0, 0, 1, 1]], { labels: ['a', 'b'] })).toThrow(
      /drawBoxes: 2 labels for 1 boxes/,
    );
    expect(() => drawBoxes(img, [[0, 0, 1, 1]], { lineWidth: 0 })).toThrow(
      /drawBoxes: lineWidth must be a positive integer, got 0/,
    );
    img.dispose();
  });
});

describe('boxesSvg', () => {
  it('lays out the same boxes as SVG with escaped text', () => {
    const svg = boxesSvg(20, 10, [[0, 0, 0.5, 1]], {
      labels: ['a<b'],
      scores: [0.5],
      parts: { rects: true, tags: false, text: true },
    });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="20" height="10"/);
    expect(svg).toContain(
      '<rect x="1" y="1" width="8" height="8" fill="none" stroke="rgb(0,0,255)" stroke-width="2"/>',
    );
    expect(svg).toContain('>a&lt;b=0.50</text>');
    expect(svg).not.toContain('fill="rgb(0,0,255)"');
    expect(() => boxesSvg(0, 1, [])).toThrow(/boxesSvg: width and height must be positive integers, got 0x1/);
  });
});
