import type * as tf from '@tensorflow/tfjs-core';
import { drawText, GLYPH_ADVANCE, textHeight, textWidth } from './bitmap-font.js';
import { type PixelImage, type PixelImageLike, type Rgb, toRgbPixels } from './pixels.js';
import { cssRgb, escapeXml, SVG_FONT_FAMILY, svgDocument } from './svg.js';

export interface ImageGridOptions {
  /** Columns. Default ⌈√n⌉. (d2l's `show_images(imgs, num_rows, num_cols)`.) */
  cols?: number;
  /** Pixels between cells and around the grid. Default 2. */
  pad?: number;
  /** Background color. Default white. */
  background?: Rgb;
  /** A title above each image (d2l's `titles`); shorter arrays leave the rest untitled. */
  titles?: readonly string[];
  /** 'bitmap' (default): titles drawn with the built-in pixel font. 'none': space only (for {@link gridTitlesSvg}). */
  text?: 'bitmap' | 'none';
  /** Bitmap font scale. Default 2. */
  fontScale?: number;
  /** Title color. Default black. */
  textColor?: Rgb;
  /** For float32 image tensors: what a value of 255 is (default 1: values in [0, 1]). */
  inputScale?: number;
}

/** Where each image and title of a grid goes (pixels). */
export interface GridLayout {
  width: number;
  height: number;
  cols: number;
  rows: number;
  /** Top-left corner of each image (centered in its cell). */
  images: { x: number; y: number; width: number; height: number }[];
  /** Top-left corner of each cell's title band (height 0 without titles). */
  titles: { x: number; y: number; width: number; height: number }[];
}

/**
 * The layout of {@link imageGrid}: cells as large as the largest image, `pad` pixels apart and around,
 * filled row by row; with titles, a band of the font's height (plus `fontScale` pixels) above each image.
 */
export function gridLayout(
  sizes: readonly { width: number; height: number }[],
  options: ImageGridOptions = {},
): GridLayout {
  const n = sizes.length;
  if (n === 0) throw new Error('imageGrid: expected at least one image');
  const cols = options.cols ?? Math.ceil(Math.sqrt(n));
  const pad = options.pad ?? 2;
  const scale = options.fontScale ?? 2;
  if (!Number.isInteger(cols) || cols < 1)
    throw new Error(`imageGrid: cols must be a positive integer, got ${cols}`);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`imageGrid: pad must be an integer ≥ 0, got ${pad}`);
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`imageGrid: fontScale must be a positive integer, got ${scale}`);
  const rows = Math.ceil(n / cols);
  const cellW = Math.max(...sizes.map((s) => s.width));
  const cellH = Math.max(...sizes.map((s) => s.height));
  const titleH = options.titles?.some((t) => t) ? textHeight(scale) + 2 * scale : 0;
  const images: GridLayout['images'] = [];
  const titles: GridLayout['titles'] = [];
  sizes.forEach((s, i) => {
    const cx = pad + (i % cols) * (cellW + pad);
    const cy = pad + Math.floor(i / cols) * (titleH + cellH + pad);
    titles.push({ x: cx, y: cy, width: cellW, height: titleH });
    images.push({
      x: cx + Math.floor((cellW - s.width) / 2),
      y: cy + titleH + Math.floor((cellH - s.height) / 2),
      width: s.width,
      height: s.height,
    });
  });
  return {
    width: pad + cols * (cellW + pad),
    height: pad + rows * (titleH + cellH + pad),
    cols,
    rows,
    images,
    titles,
  };
}

/**
 * Lays images out in a grid, d2l's `show_images`, into one RGB {@link PixelImage}. Images may differ in
 * size (each is centered in a cell of the largest size) and in channels (gray is replicated, alpha dropped).
 *
 * @param images `[H, W, C]` / `[H, W]` tensors (int32 bytes or float32 in [0, 1]) or pixel buffers.
 */
export function imageGrid(
  images: readonly (tf.Tensor | PixelImageLike)[],
  options: ImageGridOptions = {},
): PixelImage {
  if (!Array.isArray(images)) throw new Error(`imageGrid: images must be an array, got ${typeof images}`);
  const text = options.text ?? 'bitmap';
  if (text !== 'bitmap' && text !== 'none')
    throw new Error(`imageGrid: text must be 'bitmap' or 'none', got '${String(text)}'`);
  const pixels = images.map((im, i) => toRgbPixels(im, `imageGrid (image ${i})`, options.inputScale));
  const layout = gridLayout(pixels, options);
  const bg = options.background ?? [255, 255, 255];
  const data = new Uint8Array(layout.width * layout.height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(bg, i);
  const out: PixelImage = { width: layout.width, height: layout.height, channels: 3, data };
  pixels.forEach((px, i) => {
    const { x, y } = layout.images[i]!;
    for (let r = 0; r < px.height; r++) {
      data.set(px.data.subarray(r * px.width * 3, (r + 1) * px.width * 3), ((y + r) * layout.width + x) * 3);
    }
    const title = options.titles?.[i];
    if (title && text === 'bitmap') {
      const scale = options.fontScale ?? 2;
      const band = layout.titles[i]!;
      const tx = band.x + Math.max(0, Math.floor((band.width - textWidth(title, scale)) / 2));
      drawText(out, tx, band.y + scale, title, options.textColor ?? [0, 0, 0], scale);
    }
  });
  return out;
}

/**
 * The titles of {@link imageGrid} (same options, same layout) as an SVG overlay of the grid's size, in a
 * font engine's text: Node's `saveGrid` composites it over a grid drawn with `text: 'none'`.
 */
export function gridTitlesSvg(
  sizes: readonly { width: number; height: number }[],
  options: ImageGridOptions = {},
): string {
  const layout = gridLayout(sizes, options);
  const scale = options.fontScale ?? 2;
  const fontSize = Math.min(textHeight(scale) * 1.3, (GLYPH_ADVANCE * scale) / 0.6);
  const color = cssRgb(options.textColor ?? [0, 0, 0]);
  let body = '';
  layout.titles.forEach((band, i) => {
    const title = options.titles?.[i];
    if (!title) return;
    body +=
      `<text x="${band.x + band.width / 2}" y="${band.y + band.height / 2}" text-anchor="middle" dominant-baseline="central" ` +
      `font-family="${SVG_FONT_FAMILY}" font-size="${fontSize.toFixed(1)}" fill="${color}">${escapeXml(title)}</text>`;
  });
  return svgDocument(layout.width, layout.height, body);
}
