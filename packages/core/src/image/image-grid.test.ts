import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { gridLayout, gridTitlesSvg, imageGrid } from './image-grid.js';
import type { PixelImage } from './pixels.js';

beforeAll(() => initBackend('cpu', { log: false }));

const at = (img: PixelImage, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('imageGrid', () => {
  it('places images row by row with padding, centered in cells (d2l show_images)', async () => {
    const red = tf.tensor3d(
      Array(2 * 3)
        .fill([255, 0, 0])
        .flat(),
      [2, 3, 3],
      'int32',
    );
    const gray = tf.fill([1, 1], 0.5) as tf.Tensor2D; // float [0, 1], one channel
    const green = {
      width: 3,
      height: 2,
      channels: 4 as const,
      data: Uint8Array.from(Array(6).fill([0, 255, 0, 9]).flat()),
    };
    const grid = await expectNoLeaks(() =>
      imageGrid([red, gray, green], { cols: 2, pad: 1, background: [0, 0, 0] }),
    );
    // Cells 3x2, pad 1: width 1 + 2·(3 + 1) = 9, height 1 + 2·(2 + 1) = 7.
    expect(grid).toMatchObject({ width: 9, height: 7, channels: 3 });
    expect(at(grid, 1, 1)).toEqual([255, 0, 0]);
    expect(at(grid, 3, 2)).toEqual([255, 0, 0]);
    expect(at(grid, 4, 1)).toEqual([0, 0, 0]); // padding
    expect(at(grid, 6, 1)).toEqual([128, 128, 128]); // 1x1 gray centered in cell (5..7, 1..2): x = 5 + 1
    expect(at(grid, 5, 1)).toEqual([0, 0, 0]);
    expect(at(grid, 1, 4)).toEqual([0, 255, 0]);
    expect(at(grid, 3, 5)).toEqual([0, 255, 0]);
    expect(at(grid, 5, 4)).toEqual([0, 0, 0]); // empty fourth cell
    tf.dispose([red, gray]);
  });

  it('reserves and draws title bands, and gives the same layout to SVG titles', () => {
    const img = { width: 20, height: 4, channels: 3 as const, data: new Uint8Array(240) };
    const opts = { titles: ['ab', ''], cols: 2, pad: 0, fontScale: 1 };
    const layout = gridLayout([img, img], opts);
    expect(layout.titles[0]).toEqual({ x: 0, y: 0, width: 20, height: 7 });
    expect(layout.images[1]).toEqual({ x: 20, y: 7, width: 20, height: 4 });
    const grid = imageGrid([img, img], opts);
    expect(grid.height).toBe(11);
    // 'A' (row 0 '010') centered: text width 7 → x0 = 6; ink at (7, 1), background at (6, 1).
    expect(at(grid, 7, 1)).toEqual([0, 0, 0]);
    expect(at(grid, 6, 1)).toEqual([255, 255, 255]);
    const svg = gridTitlesSvg([img, img], opts);
    expect(svg).toContain('width="40" height="11"');
    expect(svg.match(/<text/g)!.length).toBe(1);
    expect(svg).toContain('>ab</text>');
  });

  it('validates', () => {
    expect(() => imageGrid([])).toThrow(/imageGrid: expected at least one image/);
    const bad = tf.zeros([2, 2, 7]);
    expect(() => imageGrid([bad])).toThrow(
      /imageGrid \(image 0\): image must be a tensor \[H, W\] or \[H, W, C\] with C in 1..4, got shape \[2,2,7\]/,
    );
    expect(() => gridLayout([{ width: 1, height: 1 }], { cols: 0 })).toThrow(
      /imageGrid: cols must be a positive integer, got 0/,
    );
    bad.dispose();
  });
});
