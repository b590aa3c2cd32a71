import type { Rgb } from './pixels.js';

/**
 * The Pascal VOC color map (the `labelcolormap` of the VOC devkit): color `i` spreads the bits of `i`
 * over R, G and B, most significant first. `vocPalette(256)` is the palette of VOC's PNG masks, where
 * index 255 (the object border, "void") is `[224, 224, 192]`.
 */
export function vocPalette(n = 256): Rgb[] {
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new Error(`vocPalette: n must be an integer in [1, 256], got ${n}`);
  const out: Rgb[] = [];
  for (let i = 0; i < n; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let j = 0; j < 8; j++) {
      r |= (c & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    out.push([r, g, b]);
  }
  return out;
}

/** d2l's `VOC_COLORMAP`: the colors of the 21 VOC classes (background, aeroplane, ..., tv/monitor). */
export const VOC_COLORMAP: readonly Rgb[] = vocPalette(21);

/** The label of VOC's object borders and of "don't care" pixels (ignored by the loss). */
export const VOC_IGNORE_INDEX = 255;

/** The color VOC masks use for label 255. */
export const VOC_BORDER_COLOR: Rgb = [224, 224, 192];
