/**
 * Image files in Node: decode and encode PNG/JPEG with sharp (libvips), palette-PNG label maps, and d2l's
 * `show_bboxes` / `show_images` written as image files. Node-only (fs, zlib, sharp's native addon); the
 * platform-neutral parts are in `src/image/`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { type LabelsFromColorsOptions, labelsFromColors } from '../image/colorize-labels.js';
import { boxesSvg, type DrawBoxesOptions, drawBoxes } from '../image/draw-boxes.js';
import { gridTitlesSvg, type ImageGridOptions, imageGrid } from '../image/image-grid.js';
import { decodeIndexedPng, encodeIndexedPng } from '../image/indexed-png.js';
import { vocPalette } from '../image/palette.js';
import {
  convertChannels,
  type ImageToTensorOptions,
  imageToTensor,
  type PixelImage,
  type PixelImageLike,
  type Rgb,
  tensorToImage,
  toPixelImage,
} from '../image/pixels.js';

/** A file path, or the encoded bytes themselves. */
export type ImageSource = string | Uint8Array;

function describeSource(source: ImageSource): string {
  return typeof source === 'string' ? `'${source}'` : `a ${source.length}-byte buffer`;
}

async function decodeRaw(fn: string, source: ImageSource): Promise<PixelImage> {
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
    throw new Error(
      `${fn}: source must be a file path or a Uint8Array of encoded bytes, got ${source === null ? 'null' : typeof source}`,
    );
  }
  try {
    const { data, info } = await sharp(source).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return toPixelImage({ width: info.width, height: info.height, channels: info.channels, data }, fn);
  } catch (err) {
    throw new Error(`${fn}: cannot decode ${describeSource(source)}: ${(err as Error).message}`);
  }
}

/**
 * Reads a PNG, JPEG (or WebP, GIF, TIFF: whatever sharp decodes) into an `[H, W, C]` tensor: by default 3
 * channels (gray replicated, alpha dropped, like PIL's `convert('RGB')`) of int32 bytes in [0, 255];
 * `dtype: 'float32'` gives [0, 1] (torchvision `ToTensor`). 16-bit images are reduced to 8 bits. EXIF
 * orientation is not applied (as PIL and torchvision's `read_image` do not). Palette PNGs are expanded to
 * colors: use {@link readLabelPng} for label maps.
 */
export async function readImage(
  source: ImageSource,
  options: ImageToTensorOptions = {},
): Promise<tf.Tensor3D> {
  return imageToTensor(await decodeRaw('readImage', source), options);
}

export type ImageFormat = 'png' | 'jpeg';

export interface EncodeImageFileOptions {
  /** JPEG quality 1..100. Default 90. */
  quality?: number;
  /** For float32 tensors: what a value of 255 is (default 1: values in [0, 1]). */
  inputScale?: number;
}

async function pixelsOf(
  fn: string,
  image: tf.Tensor | PixelImageLike,
  inputScale?: number,
): Promise<PixelImage> {
  return image instanceof tf.Tensor ? tensorToImage(image, { inputScale }) : toPixelImage(image, fn);
}

function rawInput(px: PixelImage) {
  return sharp(px.data, { raw: { width: px.width, height: px.height, channels: px.channels } });
}

async function encodePixels(
  fn: string,
  px: PixelImage,
  format: ImageFormat,
  quality: number,
): Promise<Buffer> {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new Error(`${fn}: quality must be an integer in [1, 100], got ${quality}`);
  // JPEG has no alpha channel: drop it (not composited), as PIL refuses to and torchvision drops it.
  const src =
    format === 'jpeg' && (px.channels === 2 || px.channels === 4)
      ? convertChannels(px, px.channels === 2 ? 1 : 3)
      : px;
  let pipeline = rawInput(src);
  // Without this sharp writes one-channel input as RGB.
  if (src.channels <= 2) pipeline = pipeline.toColourspace('b-w');
  return format === 'png' ? pipeline.png().toBuffer() : pipeline.jpeg({ quality }).toBuffer();
}

/**
 * Encodes an `[H, W]` / `[H, W, C]` tensor (int32 bytes, or float32 in [0, 1]; rounded and clipped as
 * `tensorToImage` does) or a pixel buffer as PNG (lossless; gray stays gray, alpha kept) or JPEG.
 */
export async function encodeImageFile(
  image: tf.Tensor | PixelImageLike,
  format: ImageFormat,
  options: EncodeImageFileOptions = {},
): Promise<Buffer> {
  if (format !== 'png' && format !== 'jpeg')
    throw new Error(`encodeImageFile: format must be 'png' or 'jpeg', got '${String(format)}'`);
  return encodePixels(
    'encodeImageFile',
    await pixelsOf('encodeImageFile', image, options.inputScale),
    format,
    options.quality ?? 90,
  );
}

function formatOf(fn: string, path: string): ImageFormat {
  if (typeof path !== 'string') throw new Error(`${fn}: path must be a string, got ${typeof path}`);
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  throw new Error(`${fn}: cannot tell the format of '${path}': the extension must be .png, .jpg or .jpeg`);
}

async function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

/**
 * Writes an image tensor or pixel buffer to `path` as PNG or JPEG, chosen by the extension (.png, .jpg,
 * .jpeg), creating missing folders. A PNG round-trips int32 byte tensors exactly through {@link readImage}.
 */
export async function writeImage(
  path: string,
  image: tf.Tensor | PixelImageLike,
  options: EncodeImageFileOptions = {},
): Promise<void> {
  const format = formatOf('writeImage', path);
  const px = await pixelsOf('writeImage', image, options.inputScale);
  await writeBytes(path, await encodePixels('writeImage', px, format, options.quality ?? 90));
}

const inflate = (d: Uint8Array) => new Uint8Array(inflateSync(d));
const deflate = (d: Uint8Array) => new Uint8Array(deflateSync(d, { level: 9 }));

/**
 * Reads a label map (a segmentation mask) as `[H, W]` int32 class indices:
 * - palette PNGs (VOC's `SegmentationClass/*.png`) give their palette indices, 255 (border) included —
 *   sharp would expand them to colors, so they are decoded by the small codec in `image/indexed-png.ts`;
 * - 1–8-bit grayscale PNGs give their gray values;
 * - RGB(A) PNGs are mapped back through a palette with `labelsFromColors` (default VOC's; see its options).
 */
export async function readLabelPng(
  source: ImageSource,
  options: LabelsFromColorsOptions = {},
): Promise<tf.Tensor2D> {
  let bytes: Uint8Array;
  try {
    bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
  } catch (err) {
    throw new Error(`readLabelPng: cannot read ${describeSource(source)}: ${(err as Error).message}`);
  }
  if (!(bytes instanceof Uint8Array))
    throw new Error(`readLabelPng: source must be a file path or a Uint8Array, got ${typeof source}`);
  const isPng =
    bytes.length > 29 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if (!isPng)
    throw new Error(
      `readLabelPng: ${describeSource(source)} is not a PNG file (label maps must be lossless)`,
    );
  const bitDepth = bytes[24]!;
  const colorType = bytes[25]!;
  if (colorType === 3 || (colorType === 0 && bitDepth <= 8)) {
    const png = decodeIndexedPng(bytes, inflate);
    return tf.tensor2d(Int32Array.from(png.indices), [png.height, png.width], 'int32');
  }
  const rgb = imageToTensor(await decodeRaw('readLabelPng', bytes), { channels: 3 });
  try {
    return labelsFromColors(rgb, options);
  } finally {
    rgb.dispose();
  }
}

export interface WriteLabelPngOptions {
  /** Palette written into the PNG (≤ 256 colors). Default `vocPalette(256)` (VOC's masks; 255 = border). */
  palette?: readonly Rgb[];
}

/**
 * Writes `[H, W]` (or `[H, W, 1]`) integer class indices as an 8-bit palette PNG, VOC's mask format:
 * the file keeps the indices (read back exactly by {@link readLabelPng}) and shows as colors in any viewer.
 */
export async function writeLabelPng(
  path: string,
  labels: tf.Tensor,
  options: WriteLabelPngOptions = {},
): Promise<void> {
  if (typeof path !== 'string' || extname(path).toLowerCase() !== '.png')
    throw new Error(`writeLabelPng: path must end in .png, got '${String(path)}'`);
  if (
    !(labels instanceof tf.Tensor) ||
    !(labels.rank === 2 || (labels.rank === 3 && labels.shape[2] === 1))
  ) {
    throw new Error(
      `writeLabelPng: labels must be a tensor [H, W] or [H, W, 1] of class indices, got ${labels instanceof tf.Tensor ? `shape [${labels.shape}]` : typeof labels}`,
    );
  }
  const palette = options.palette ?? vocPalette(256);
  const values = await labels.data();
  const indices = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= palette.length) {
      throw new Error(
        `writeLabelPng: label ${v} at flat index ${i} is not an integer in [0, ${palette.length - 1}] (the palette's range)`,
      );
    }
    indices[i] = v;
  }
  await writeBytes(path, encodeIndexedPng(indices, labels.shape[1]!, labels.shape[0]!, palette, deflate));
}

async function overlay(px: PixelImage, svg: string): Promise<PixelImage> {
  const { data, info } = await rawInput(px)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .raw()
    .toBuffer({ resolveWithObject: true });
  return convertChannels({ width: info.width, height: info.height, channels: info.channels, data }, 3);
}

export type FileTextMode = 'svg' | 'bitmap' | 'none';

export interface SaveBoxesOptions extends Omit<DrawBoxesOptions, 'text'> {
  /**
   * 'svg' (default): label text set in a system font (rendered by sharp's librsvg) over the boxes and tags;
   * 'bitmap': the built-in pixel font of `drawBoxes`; 'none': no text (tags still drawn).
   */
  text?: FileTextMode;
  /** JPEG quality 1..100. Default 90. */
  quality?: number;
}

/**
 * d2l's `show_bboxes` as a file: draws `boxes` (`[N, 4]` corners, normalized by default) with labels and
 * scores on `image` (`[H, W, C]` tensor or pixels) and writes PNG/JPEG by the extension of `path`.
 * Box outlines and label tags are exact pixels (see `drawBoxes`); text is overlaid as SVG by default.
 */
export async function saveBoxes(
  path: string,
  image: tf.Tensor | PixelImageLike,
  boxes: tf.Tensor | readonly (readonly number[])[],
  options: SaveBoxesOptions = {},
): Promise<void> {
  const format = formatOf('saveBoxes', path);
  const text = options.text ?? 'svg';
  if (!['svg', 'bitmap', 'none'].includes(text))
    throw new Error(`saveBoxes: text must be 'svg', 'bitmap' or 'none', got '${String(text)}'`);
  let px = drawBoxes(image, boxes, { ...options, text: text === 'bitmap' ? 'bitmap' : 'none' });
  if (text === 'svg')
    px = await overlay(
      px,
      boxesSvg(px.width, px.height, boxes, {
        ...options,
        text: 'none',
        parts: { rects: false, tags: false, text: true },
      }),
    );
  await writeBytes(path, await encodePixels('saveBoxes', px, format, options.quality ?? 90));
}

export interface SaveGridOptions extends Omit<ImageGridOptions, 'text'> {
  /** 'svg' (default): titles in a system font; 'bitmap': the built-in pixel font; 'none': no titles drawn. */
  text?: FileTextMode;
  /** JPEG quality 1..100. Default 90. */
  quality?: number;
}

/**
 * d2l's `show_images` as a file: lays `images` out in a grid (see `imageGrid`) with optional titles and
 * writes PNG/JPEG by the extension of `path`.
 */
export async function saveGrid(
  path: string,
  images: readonly (tf.Tensor | PixelImageLike)[],
  options: SaveGridOptions = {},
): Promise<void> {
  const format = formatOf('saveGrid', path);
  const text = options.text ?? 'svg';
  if (!['svg', 'bitmap', 'none'].includes(text))
    throw new Error(`saveGrid: text must be 'svg', 'bitmap' or 'none', got '${String(text)}'`);
  const gridOptions: ImageGridOptions = { ...options, text: text === 'bitmap' ? 'bitmap' : 'none' };
  let px = imageGrid(images, gridOptions);
  if (text === 'svg' && options.titles?.some((t) => t)) {
    const sizes = images.map((im) =>
      im instanceof tf.Tensor
        ? { width: im.shape[1]!, height: im.shape[0]! }
        : { width: im.width, height: im.height },
    );
    px = await overlay(px, gridTitlesSvg(sizes, gridOptions));
  }
  await writeBytes(path, await encodePixels('saveGrid', px, format, options.quality ?? 90));
}
