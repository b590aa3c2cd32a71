import { decodeIndexedPng, type Rgb } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { DatasetFileError } from './errors.js';
import type { DataPlatform } from './platform.js';
import { VOC_BORDER_COLOR, VOC_COLORMAP, VOC_IGNORE_INDEX } from './voc-constants.js';

export interface Colormap2LabelOptions {
  /** Class colours, index = label. Default {@link VOC_COLORMAP} (21 colours). */
  colormap?: readonly Rgb[];
  /** Label of VOC's border colour (224, 224, 192). Default 255 (ignored by the loss); null leaves it unknown. */
  borderLabel?: number | null;
  /**
   * Label of every other colour. Default −1, which {@link vocLabelIndices} reports as an error (never a silent
   * wrong label); d2l's table gives 0 (background): pass `unknownLabel: 0, borderLabel: null` for exactly d2l.
   */
  unknownLabel?: number;
}

const key = (r: number, g: number, b: number) => (r * 256 + g) * 256 + b;

/**
 * d2l's `voc_colormap2label()`: a lookup table of 256³ int32 entries from the colour key
 * `(R · 256 + G) · 256 + B` to a class label (64 MB, as d2l's). By default the border colour maps to 255
 * and colours outside the palette to −1 (see {@link Colormap2LabelOptions}).
 */
export function vocColormap2label(options: Colormap2LabelOptions = {}): Int32Array {
  const table = new Int32Array(256 ** 3).fill(options.unknownLabel ?? -1);
  const border = options.borderLabel === undefined ? VOC_IGNORE_INDEX : options.borderLabel;
  if (border !== null) table[key(...VOC_BORDER_COLOR)] = border;
  (options.colormap ?? VOC_COLORMAP).forEach((c, i) => {
    table[key(c[0], c[1], c[2])] = i;
  });
  return table;
}

/** A small colour → label map (the default table without its 64 MB). */
function colorMap(options: Colormap2LabelOptions): Map<number, number> {
  const m = new Map<number, number>();
  const border = options.borderLabel === undefined ? VOC_IGNORE_INDEX : options.borderLabel;
  if (border !== null) m.set(key(...VOC_BORDER_COLOR), border);
  (options.colormap ?? VOC_COLORMAP).forEach((c, i) => {
    m.set(key(c[0], c[1], c[2]), i);
  });
  return m;
}

/**
 * Maps RGB bytes to labels; returns the labels or the first unknown colour and where it is.
 * @internal
 */
export function rgbToLabels(
  rgb: Uint8Array | Int32Array | Float32Array,
  width: number,
  lookup: Int32Array | Map<number, number>,
  unknownLabel = -1,
): { labels: Uint8Array } | { unknown: { color: Rgb; x: number; y: number; value: number } } {
  const n = rgb.length / 3;
  const labels = new Uint8Array(n);
  let lastKey = -1;
  let last = 0;
  for (let i = 0; i < n; i++) {
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    const k = key(r, g, b);
    if (k !== lastKey) {
      lastKey = k;
      last = lookup instanceof Map ? (lookup.get(k) ?? unknownLabel) : (lookup[k] ?? unknownLabel);
    }
    if (last < 0 || last > 255)
      return { unknown: { color: [r, g, b], x: i % width, y: Math.floor(i / width), value: last } };
    labels[i] = last;
  }
  return { labels };
}

/**
 * d2l's `voc_label_indices(colormap, colormap2label)`: an `[H, W, 3]` RGB label image (int32 bytes) to
 * `[H, W]` int32 class labels. `colormap2label` is a table from {@link vocColormap2label} (default: VOC's
 * colours, border → 255). Throws, naming the colour and the pixel, for a colour the table maps to a
 * negative label (by default any colour outside the palette).
 */
export function vocLabelIndices(colormap: tf.Tensor, colormap2label?: Int32Array): tf.Tensor2D {
  if (!(colormap instanceof tf.Tensor) || colormap.rank !== 3 || colormap.shape[2] !== 3) {
    throw new Error(
      `vocLabelIndices: colormap must be an [H, W, 3] tensor of RGB bytes, got ${colormap instanceof tf.Tensor ? `shape [${colormap.shape}]` : typeof colormap}`,
    );
  }
  if (
    colormap2label !== undefined &&
    (!(colormap2label instanceof Int32Array) || colormap2label.length !== 256 ** 3)
  ) {
    throw new Error('vocLabelIndices: colormap2label must be the Int32Array(256³) of vocColormap2label()');
  }
  const [h, w] = colormap.shape as [number, number, number];
  const res = rgbToLabels(colormap.dataSync() as Int32Array, w, colormap2label ?? colorMap({}));
  if ('unknown' in res) {
    const { color, x, y } = res.unknown;
    throw new Error(
      `vocLabelIndices: colour (${color.join(', ')}) at x=${x}, y=${y} is not a VOC class colour nor the border colour`,
    );
  }
  return tf.tensor2d(Int32Array.from(res.labels), [h, w], 'int32');
}

/** A decoded label map: one byte per pixel, and how the file stored it. */
export interface LabelMap {
  width: number;
  height: number;
  labels: Uint8Array;
  /** 'palette': PNG palette indices read directly; 'gray': gray levels; 'rgb': colours mapped through the palette. */
  mode: 'palette' | 'gray' | 'rgb';
}

/** The concatenated IDAT data of a PNG (to inflate asynchronously where zlib is async). */
function idatOf(bytes: Uint8Array): Uint8Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let o = 8;
  while (o + 12 <= bytes.length) {
    const len = v.getUint32(o);
    const type = String.fromCharCode(bytes[o + 4]!, bytes[o + 5]!, bytes[o + 6]!, bytes[o + 7]!);
    if (type === 'IDAT') parts.push(bytes.subarray(o + 8, Math.min(bytes.length, o + 8 + len)));
    if (type === 'IEND') break;
    o += 12 + len;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let w = 0;
  for (const p of parts) {
    out.set(p, w);
    w += p.length;
  }
  return out;
}

/** Label values allowed in a VOC mask: 0..classes−1 and 255. */
export function checkLabelValues(
  labels: Uint8Array,
  width: number,
  numClasses: number,
): { value: number; x: number; y: number } | undefined {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (v >= numClasses && v !== VOC_IGNORE_INDEX)
      return { value: v, x: i % width, y: Math.floor(i / width) };
  }
  return undefined;
}

/**
 * Decodes a segmentation label file (`SegmentationClass/<id>.png`): palette PNGs give their indices directly
 * (VOC's format: 255 = border), 8-bit gray PNGs their gray levels, RGB PNGs are mapped back through the VOC
 * colours (border colour → 255). Any value or colour outside the 21 classes and 255 is an error naming the
 * file, the value and the pixel. @internal
 */
export async function decodeLabelFile(
  bytes: Uint8Array,
  where: string,
  platform: DataPlatform,
  numClasses = VOC_COLORMAP.length,
): Promise<LabelMap> {
  const isPng =
    bytes.length > 29 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if (!isPng)
    throw new DatasetFileError(`label ${where} is not a PNG file (VOC label maps are PNG)`, where, 'corrupt');
  const bitDepth = bytes[24]!;
  const colorType = bytes[25]!;
  let map: LabelMap;
  if (colorType === 3 || (colorType === 0 && bitDepth <= 8)) {
    let png: ReturnType<typeof decodeIndexedPng>;
    try {
      const inflated = await platform.inflate(idatOf(bytes));
      png = decodeIndexedPng(bytes, () => inflated);
    } catch (err) {
      throw new DatasetFileError(`cannot decode label ${where}: ${(err as Error).message}`, where, 'corrupt');
    }
    map = {
      width: png.width,
      height: png.height,
      labels: png.indices,
      mode: colorType === 3 ? 'palette' : 'gray',
    };
  } else {
    const px = await platform.decodeRgb(bytes, where);
    const res = rgbToLabels(px.data, px.width, colorMap({}));
    if ('unknown' in res) {
      const { color, x, y } = res.unknown;
      throw new DatasetFileError(
        `label ${where} has the colour (${color.join(', ')}) at x=${x}, y=${y}, which is not a VOC class colour nor the border colour (224, 224, 192)`,
        where,
        'corrupt',
      );
    }
    map = { width: px.width, height: px.height, labels: res.labels, mode: 'rgb' };
  }
  const bad = checkLabelValues(map.labels, map.width, numClasses);
  if (bad) {
    throw new DatasetFileError(
      `label ${where} has the value ${bad.value} at x=${bad.x}, y=${bad.y}; VOC labels are 0..${numClasses - 1} and 255 (border)`,
      where,
      'corrupt',
    );
  }
  return map;
}
