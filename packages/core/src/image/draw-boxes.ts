import * as tf from '@tensorflow/tfjs-core';
import { drawText, GLYPH_ADVANCE, textHeight, textWidth } from './bitmap-font.js';
import { type PixelImage, type PixelImageLike, type Rgb, toRgbPixels } from './pixels.js';
import { cssRgb, escapeXml, SVG_FONT_FAMILY, svgDocument } from './svg.js';

/**
 * d2l's default box colors `['b', 'g', 'r', 'm', 'c']` as matplotlib draws them: blue, green (0.5),
 * red, magenta (0.75), cyan (0.75).
 */
export const DEFAULT_BOX_COLORS: readonly Rgb[] = [
  [0, 0, 255],
  [0, 128, 0],
  [255, 0, 0],
  [191, 0, 191],
  [0, 191, 191],
];

export interface DrawBoxesOptions {
  /** Text per box (`labels[i]`); with `scores`, drawn as `label=0.87`. */
  labels?: readonly string[];
  /** Score per box, drawn with two decimals (alone when there are no labels). */
  scores?: ArrayLike<number>;
  /** Colors, cycled over the boxes. Default {@link DEFAULT_BOX_COLORS}. */
  colors?: readonly Rgb[];
  /** 'normalized' (default): corners in [0, 1], scaled by width and height. 'pixels': corners in pixels. */
  boxFormat?: 'normalized' | 'pixels';
  /** Outline width in pixels, drawn inside the box. Default 2. */
  lineWidth?: number;
  /**
   * 'bitmap' (default): text drawn with the built-in 3x5 pixel font at `fontScale`. 'none': only the tag
   * behind the text is filled (for an SVG text overlay from {@link boxesSvg} on top, as Node's `saveBoxes`
   * does).
   */
  text?: 'bitmap' | 'none';
  /** Size of the bitmap font: each font pixel is `fontScale` pixels. Default 2 (10-pixel capitals). */
  fontScale?: number;
  /** Text color. Default: white, or black on a light box color (d2l: black text on white boxes). */
  textColor?: Rgb;
  /** For a float32 image tensor: what a value of 255 is (default 1: values in [0, 1]). */
  inputScale?: number;
}

/** Where one box and its label tag go, in integer pixels (inclusive ranges). */
export interface BoxPlacement {
  /** First and last column and row of the box, possibly outside the image. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  color: Rgb;
  textColor: Rgb;
  /** The label text ('' when none). */
  text: string;
  /** The tag behind the text: top-left corner and size in pixels (width 0 when no text). */
  tag: { x: number; y: number; width: number; height: number };
}

function readBoxes(boxes: tf.Tensor | readonly (readonly number[])[], fn: string): number[][] {
  if (boxes instanceof tf.Tensor) {
    if (boxes.rank !== 2 || boxes.shape[1] !== 4) {
      throw new Error(`${fn}: boxes must be [N, 4] corners [x1, y1, x2, y2], got shape [${boxes.shape}]`);
    }
    return boxes.arraySync() as number[][];
  }
  if (
    !Array.isArray(boxes) ||
    boxes.some((b) => !Array.isArray(b) || b.length !== 4 || b.some((v) => typeof v !== 'number'))
  ) {
    throw new Error(`${fn}: boxes must be [N, 4] corners [x1, y1, x2, y2] (a tensor or number[][])`);
  }
  return boxes as number[][];
}

function isLight(c: Rgb): boolean {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 160;
}

/**
 * The pixel layout shared by {@link drawBoxes} and {@link boxesSvg}: box `[x1, y1, x2, y2]` covers columns
 * `round(x1)..round(x2) − 1` and rows `round(y1)..round(y2) − 1` (after scaling normalized corners by the
 * image width and height). The label tag sits at the box's top-left corner, moved inside the image.
 */
export function layoutBoxes(
  width: number,
  height: number,
  boxes: tf.Tensor | readonly (readonly number[])[],
  options: DrawBoxesOptions = {},
  fn = 'layoutBoxes',
): BoxPlacement[] {
  const rows = readBoxes(boxes, fn);
  const { labels, scores } = options;
  const colors = options.colors ?? DEFAULT_BOX_COLORS;
  const format = options.boxFormat ?? 'normalized';
  const scale = options.fontScale ?? 2;
  if (format !== 'normalized' && format !== 'pixels')
    throw new Error(`${fn}: boxFormat must be 'normalized' or 'pixels', got '${String(format)}'`);
  if (labels && labels.length !== rows.length)
    throw new Error(`${fn}: ${labels.length} labels for ${rows.length} boxes`);
  if (scores && scores.length !== rows.length)
    throw new Error(`${fn}: ${scores.length} scores for ${rows.length} boxes`);
  if (colors.length === 0) throw new Error(`${fn}: colors must not be empty`);
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`${fn}: fontScale must be a positive integer, got ${scale}`);
  const sx = format === 'normalized' ? width : 1;
  const sy = format === 'normalized' ? height : 1;
  return rows.map((b, i) => {
    const x0 = Math.round(b[0]! * sx);
    const y0 = Math.round(b[1]! * sy);
    const x1 = Math.max(x0, Math.round(b[2]! * sx) - 1);
    const y1 = Math.max(y0, Math.round(b[3]! * sy) - 1);
    const color = colors[i % colors.length]!;
    const parts = [labels?.[i], scores ? scores[i]!.toFixed(2) : undefined].filter(
      (s) => s !== undefined && s !== '',
    );
    const text = parts.join('=');
    const pad = scale;
    const tagW = text ? textWidth(text, scale) + 2 * pad : 0;
    const tagH = text ? textHeight(scale) + 2 * pad : 0;
    const tx = Math.max(0, Math.min(x0, width - tagW));
    const ty = Math.max(0, Math.min(y0, height - tagH));
    return {
      x0,
      y0,
      x1,
      y1,
      color,
      textColor: options.textColor ?? (isLight(color) ? [0, 0, 0] : [255, 255, 255]),
      text,
      tag: { x: tx, y: ty, width: tagW, height: tagH },
    };
  });
}

function fillRect(img: PixelImage, x: number, y: number, w: number, h: number, color: Rgb): void {
  const xa = Math.max(0, x);
  const ya = Math.max(0, y);
  const xb = Math.min(img.width, x + w);
  const yb = Math.min(img.height, y + h);
  for (let r = ya; r < yb; r++) {
    for (let c = xa; c < xb; c++) {
      const o = (r * img.width + c) * img.channels;
      img.data[o] = color[0];
      img.data[o + 1] = color[1];
      img.data[o + 2] = color[2];
    }
  }
}

/**
 * Draws bounding boxes with labels and scores on an image: d2l's `show_bboxes`, into pixels. Returns a new
 * RGB {@link PixelImage} (the input is not changed); write it with `writeImage` (Node) or `encodePng`
 * (browser), or make it a tensor with `imageToTensor`.
 *
 * @param image `[H, W, 3]` (or 1/4 channels) tensor, int32 in [0, 255] or float32 in [0, 1], or pixels.
 * @param boxes `[N, 4]` corners `[x1, y1, x2, y2]`, normalized (default) or pixels (`boxFormat`).
 */
export function drawBoxes(
  image: tf.Tensor | PixelImageLike,
  boxes: tf.Tensor | readonly (readonly number[])[],
  options: DrawBoxesOptions = {},
): PixelImage {
  const src = toRgbPixels(image, 'drawBoxes', options.inputScale);
  const out: PixelImage = {
    width: src.width,
    height: src.height,
    channels: 3,
    data: Uint8Array.from(src.data),
  };
  const lw = options.lineWidth ?? 2;
  if (!Number.isInteger(lw) || lw < 1)
    throw new Error(`drawBoxes: lineWidth must be a positive integer, got ${lw}`);
  const text = options.text ?? 'bitmap';
  if (text !== 'bitmap' && text !== 'none')
    throw new Error(`drawBoxes: text must be 'bitmap' or 'none', got '${String(text)}'`);
  const scale = options.fontScale ?? 2;
  for (const b of layoutBoxes(out.width, out.height, boxes, options, 'drawBoxes')) {
    const bw = b.x1 - b.x0 + 1;
    const bh = b.y1 - b.y0 + 1;
    const t = Math.min(lw, Math.ceil(bw / 2), Math.ceil(bh / 2));
    fillRect(out, b.x0, b.y0, bw, t, b.color); // top
    fillRect(out, b.x0, b.y1 - t + 1, bw, t, b.color); // bottom
    fillRect(out, b.x0, b.y0, t, bh, b.color); // left
    fillRect(out, b.x1 - t + 1, b.y0, t, bh, b.color); // right
    if (b.text) {
      fillRect(out, b.tag.x, b.tag.y, b.tag.width, b.tag.height, b.color);
      if (text === 'bitmap') drawText(out, b.tag.x + scale, b.tag.y + scale, b.text, b.textColor, scale);
    }
  }
  return out;
}

export interface BoxesSvgOptions extends DrawBoxesOptions {
  /** Which parts to draw. Default all: box outlines, the tags behind the text, and the text. */
  parts?: { rects?: boolean; tags?: boolean; text?: boolean };
}

/**
 * The boxes and labels of {@link drawBoxes} as an SVG document of the image's size, to lay over the image
 * (sharp's `composite`, an `<img>` over a canvas, a report). Same layout as {@link drawBoxes}; text in a
 * monospace font sized to the tag.
 */
export function boxesSvg(
  width: number,
  height: number,
  boxes: tf.Tensor | readonly (readonly number[])[],
  options: BoxesSvgOptions = {},
): string {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`boxesSvg: width and height must be positive integers, got ${width}x${height}`);
  }
  const lw = options.lineWidth ?? 2;
  const scale = options.fontScale ?? 2;
  const parts = { rects: true, tags: true, text: true, ...options.parts };
  const fontSize = Math.min(textHeight(scale) * 1.3, (GLYPH_ADVANCE * scale) / 0.6);
  let body = '';
  for (const b of layoutBoxes(width, height, boxes, options, 'boxesSvg')) {
    const w = b.x1 - b.x0 + 1;
    const h = b.y1 - b.y0 + 1;
    const t = Math.min(lw, w / 2, h / 2);
    if (parts.rects) {
      body += `<rect x="${b.x0 + t / 2}" y="${b.y0 + t / 2}" width="${w - t}" height="${h - t}" fill="none" stroke="${cssRgb(b.color)}" stroke-width="${t}"/>`;
    }
    if (!b.text) continue;
    if (parts.tags)
      body += `<rect x="${b.tag.x}" y="${b.tag.y}" width="${b.tag.width}" height="${b.tag.height}" fill="${cssRgb(b.color)}"/>`;
    if (parts.text) {
      body +=
        `<text x="${b.tag.x + scale}" y="${b.tag.y + b.tag.height / 2}" dominant-baseline="central" font-family="${SVG_FONT_FAMILY}" ` +
        `font-size="${fontSize.toFixed(1)}" fill="${cssRgb(b.textColor)}">${escapeXml(b.text)}</text>`;
    }
  }
  return svgDocument(width, height, body);
}
