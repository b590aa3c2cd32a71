import { describe, expect, it } from 'vitest';
import { VOC_BORDER_COLOR, VOC_COLORMAP, vocPalette } from './palette.js';

describe('VOC palette', () => {
  it("equals d2l's VOC_COLORMAP and puts the border color at 255", () => {
    // d2l (reference/seed-d2l-cv-notes.txt, section 9.2).
    expect(VOC_COLORMAP).toEqual([
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
      [128, 128, 0],
      [0, 0, 128],
      [128, 0, 128],
      [0, 128, 128],
      [128, 128, 128],
      [64, 0, 0],
      [192, 0, 0],
      [64, 128, 0],
      [192, 128, 0],
      [64, 0, 128],
      [192, 0, 128],
      [64, 128, 128],
      [192, 128, 128],
      [0, 64, 0],
      [128, 64, 0],
      [0, 192, 0],
      [128, 192, 0],
      [0, 64, 128],
    ]);
    const full = vocPalette();
    expect(full.length).toBe(256);
    expect(full[255]).toEqual(VOC_BORDER_COLOR);
    expect(new Set(full.map((c) => c.join())).size).toBe(256);
    expect(() => vocPalette(300)).toThrow(/vocPalette: n must be an integer in \[1, 256\], got 300/);
  });
});
