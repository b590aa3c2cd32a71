import type { PixelImage, Rgb } from './pixels.js';

// A 3x5 pixel font (uppercase letters, digits, common punctuation), so labels can be drawn into pixel
// buffers on every platform without a font engine. Each glyph is 5 rows of 3 bits, '1' = ink.
// prettier-ignore
const GLYPHS: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001010010010',
  '8': '111101111101111',
  '9': '111101111001111',
  A: '010101111101101',
  B: '110101110101110',
  C: '011100100100011',
  D: '110101101101110',
  E: '111100110100111',
  F: '111100110100100',
  G: '011100101101011',
  H: '101101111101101',
  I: '111010010010111',
  J: '001001001101010',
  K: '101101110101101',
  L: '100100100100111',
  M: '101111111101101',
  N: '110101101101101',
  O: '010101101101010',
  P: '110101110100100',
  Q: '010101101110011',
  R: '110101110101101',
  S: '011100010001110',
  T: '111010010010010',
  U: '101101101101111',
  V: '101101101101010',
  W: '101101111111101',
  X: '101101010101101',
  Y: '101101010010010',
  Z: '111001010100111',
  ' ': '000000000000000',
  '.': '000000000000010',
  ',': '000000000010100',
  ':': '000010000010000',
  '-': '000000111000000',
  _: '000000000000111',
  '=': '000111000111000',
  '+': '000010111010000',
  '/': '001001010100100',
  '%': '101001010100101',
  '(': '001010010010001',
  ')': '100010010010100',
  '[': '011010010010011',
  ']': '110010010010110',
  '<': '001010100010001',
  '>': '100010001010100',
  '?': '111001010000010',
  '!': '010010010000010',
  '#': '101111101111101',
  "'": '010010000000000',
  '"': '101101000000000',
  '*': '000101010101000',
};

/** Glyph width and height in font pixels (before scaling), and the advance per character. */
export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;
export const GLYPH_ADVANCE = 4;

/** Width in pixels of `text` drawn at `scale` (no trailing gap). */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * GLYPH_ADVANCE - 1) * scale;
}

/** Height in pixels of a line of text at `scale`. */
export function textHeight(scale = 1): number {
  return GLYPH_HEIGHT * scale;
}

/**
 * Draws `text` into an RGB or RGBA pixel buffer (in place) with its top-left corner at `(x, y)`, each font
 * pixel a `scale x scale` square; pixels outside the image are skipped. Lowercase is drawn as uppercase;
 * characters the font lacks are drawn as '?'.
 */
export function drawText(image: PixelImage, x: number, y: number, text: string, color: Rgb, scale = 1): void {
  const { width, height, channels, data } = image;
  if (channels < 3) throw new Error(`drawText: image must be RGB or RGBA, got ${channels} channel(s)`);
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`drawText: scale must be a positive integer, got ${scale}`);
  [...text.toUpperCase()].forEach((ch, k) => {
    const glyph = GLYPHS[ch] ?? GLYPHS['?']!;
    const gx = x + k * GLYPH_ADVANCE * scale;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (glyph[row * GLYPH_WIDTH + col] !== '1') continue;
        for (let dy = 0; dy < scale; dy++) {
          const py = y + row * scale + dy;
          if (py < 0 || py >= height) continue;
          for (let dx = 0; dx < scale; dx++) {
            const px = gx + col * scale + dx;
            if (px < 0 || px >= width) continue;
            const o = (py * width + px) * channels;
            data[o] = color[0];
            data[o + 1] = color[1];
            data[o + 2] = color[2];
          }
        }
      }
    }
  });
}
