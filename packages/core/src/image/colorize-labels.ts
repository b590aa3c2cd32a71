import * as tf from '@tensorflow/tfjs-core';
import { VOC_BORDER_COLOR, VOC_COLORMAP, VOC_IGNORE_INDEX } from './palette.js';
import type { Rgb } from './pixels.js';

export interface ColorizeOptions {
  /** Color of class `i` at `palette[i]`. Default {@link VOC_COLORMAP} (21 classes). */
  palette?: readonly Rgb[];
  /** The label drawn in `ignoreColor` (VOC's border). Default 255. */
  ignoreIndex?: number;
  /** Default {@link VOC_BORDER_COLOR} `[224, 224, 192]`. */
  ignoreColor?: Rgb;
  /** Color of labels that are neither in the palette nor `ignoreIndex`. Default black. */
  unknownColor?: Rgb;
}

function checkPalette(fn: string, palette: readonly Rgb[]): void {
  if (!Array.isArray(palette) || palette.length === 0)
    throw new Error(`${fn}: palette must be a non-empty array of [r, g, b]`);
  palette.forEach((c, i) => {
    if (!Array.isArray(c) || c.length !== 3 || c.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
      throw new Error(
        `${fn}: palette[${i}] must be [r, g, b] integers in [0, 255], got ${JSON.stringify(c)}`,
      );
    }
  });
}

function labelMap2d(fn: string, labels: tf.Tensor): void {
  if (
    !(labels instanceof tf.Tensor) ||
    !(labels.rank === 2 || (labels.rank === 3 && labels.shape[2] === 1))
  ) {
    throw new Error(
      `${fn}: labels must be a tensor [H, W] or [H, W, 1] of class indices, got ${labels instanceof tf.Tensor ? `shape [${labels.shape}]` : typeof labels}`,
    );
  }
}

/**
 * Colors a label map with a palette (d2l shows predictions as `VOC_COLORMAP[pred]`): `[H, W]` (or
 * `[H, W, 1]`) class indices → `[H, W, 3]` int32 colors. `ignoreIndex` (255) gets the border color,
 * other labels outside the palette `unknownColor`; `ignoreIndex` wins over a palette entry of the same index.
 */
export function colorizeLabels(labels: tf.Tensor, options: ColorizeOptions = {}): tf.Tensor3D {
  labelMap2d('colorizeLabels', labels);
  const palette = options.palette ?? VOC_COLORMAP;
  checkPalette('colorizeLabels', palette);
  const ignoreIndex = options.ignoreIndex ?? VOC_IGNORE_INDEX;
  const ignoreColor = options.ignoreColor ?? VOC_BORDER_COLOR;
  const unknown = options.unknownColor ?? [0, 0, 0];
  const size = Math.max(palette.length, ignoreIndex + 1);
  const table = new Int32Array(size * 3);
  for (let i = 0; i < size; i++) {
    const c = i === ignoreIndex ? ignoreColor : (palette[i] ?? unknown);
    table.set(c, i * 3);
  }
  return tf.tidy(() => {
    const idx = tf.cast(labels.rank === 3 ? tf.squeeze(labels, [2]) : labels, 'int32');
    const inRange = tf.logicalAnd(tf.greaterEqual(idx, 0), tf.less(idx, size));
    const colors = tf.gather(tf.tensor2d(table, [size, 3], 'int32'), tf.clipByValue(idx, 0, size - 1));
    const fallback = tf.broadcastTo(tf.tensor1d([...unknown], 'int32'), colors.shape);
    return tf.where(tf.expandDims(inRange, 2), colors, fallback) as tf.Tensor3D;
  });
}

export interface LabelsFromColorsOptions {
  /** Default {@link VOC_COLORMAP}. */
  palette?: readonly Rgb[];
  /** Label of `ignoreColor` pixels. Default 255. */
  ignoreIndex?: number;
  /** Default {@link VOC_BORDER_COLOR}. */
  ignoreColor?: Rgb | null;
  /** Label of colors in neither the palette nor `ignoreColor`. Default `ignoreIndex` (d2l's lookup gives 0). */
  unknownLabel?: number;
}

/**
 * The inverse of {@link colorizeLabels}, d2l's `voc_label_indices`: `[H, W, 3]` RGB colors (int32 bytes)
 * → `[H, W]` int32 class indices, by exact color match against the palette (first match wins).
 * By default VOC's border color becomes 255 (ignored); d2l's lookup, which lacks it, maps the border and
 * any unknown color to 0: pass `{ ignoreColor: null, unknownLabel: 0 }` for exactly that.
 */
export function labelsFromColors(image: tf.Tensor, options: LabelsFromColorsOptions = {}): tf.Tensor2D {
  if (!(image instanceof tf.Tensor) || image.rank !== 3 || image.shape[2] !== 3) {
    throw new Error(
      `labelsFromColors: image must be a tensor [H, W, 3] of RGB bytes, got ${image instanceof tf.Tensor ? `shape [${image.shape}]` : typeof image}`,
    );
  }
  const palette = options.palette ?? VOC_COLORMAP;
  checkPalette('labelsFromColors', palette);
  const ignoreIndex = options.ignoreIndex ?? VOC_IGNORE_INDEX;
  const ignoreColor = options.ignoreColor === undefined ? VOC_BORDER_COLOR : options.ignoreColor;
  const unknownLabel = options.unknownLabel ?? ignoreIndex;
  const colors = ignoreColor ? [...palette, ignoreColor] : [...palette];
  const labelOf = colors.map((_, i) => (i < palette.length ? i : ignoreIndex));
  const keys = colors.map((c) => (c[0] * 256 + c[1]) * 256 + c[2]);
  return tf.tidy(() => {
    const px = tf.cast(image, 'int32');
    const [r, g, b] = tf.split(px, 3, 2);
    const key = tf.squeeze(tf.add(tf.mul(tf.add(tf.mul(r!, 256), g!), 256), b!), [2]);
    const eq = tf.equal(tf.expandDims(key, 2), tf.tensor1d(keys, 'int32')); // [H, W, K]
    const first = tf.argMax(tf.cast(eq, 'int32'), 2) as tf.Tensor2D;
    const found = tf.any(eq, 2);
    const labels: tf.Tensor = tf.gather(tf.tensor1d(labelOf, 'int32'), first);
    return tf.where(found, labels, tf.fill(first.shape, unknownLabel, 'int32')) as tf.Tensor2D;
  });
}
