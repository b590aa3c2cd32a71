import { describe, expect, it } from 'vitest';
import { drawText, textHeight, textWidth } from './bitmap-font.js';
import type { PixelImage } from './pixels.js';

function canvas(w: number, h: number): PixelImage {
  return { width: w, height: h, channels: 3, data: new Uint8Array(w * h * 3) };
}
function ink(img: PixelImage): string[] {
  const rows: string[] = [];
  for (let y = 0; y < img.height; y++) {
    let s = '';
    for (let x = 0; x < img.width; x++) s += img.data[(y * img.width + x) * 3] ? '#' : '.';
    rows.push(s);
  }
  return rows;
}

describe('bitmap font', () => {
  it('draws glyphs, lowercase as uppercase, unknown characters as ?', () => {
    const img = canvas(11, 5);
    drawText(img, 0, 0, 'h1é', [255, 255, 255]);
    expect(ink(img)).toEqual(['#.#..#..###', '#.#.##....#', '###..#...#.', '#.#..#.....', '#.#.###..#.']);
  });

  it('scales, measures and clips at the edges', () => {
    expect(textWidth('ab', 2)).toBe(14);
    expect(textHeight(3)).toBe(15);
    expect(textWidth('')).toBe(0);
    const img = canvas(4, 4);
    drawText(img, -2, -2, '8', [255, 0, 0], 2);
    // Font pixels 1..2 of rows 1..2 of '8' (101, 111), each 2x2.
    expect(ink(img)).toEqual(['..##', '..##', '####', '####']);
    expect(() => drawText({ ...img, channels: 1 }, 0, 0, 'x', [1, 1, 1])).toThrow(
      /drawText: image must be RGB or RGBA, got 1 channel/,
    );
  });
});
