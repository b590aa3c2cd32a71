import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { drawBoxes, saveGrid, writeFileAtomic } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Detection } from './detect.js';
import { ssdFromSafetensors, ssdToSafetensors } from './serialize.js';
import type { Ssd } from './ssd.js';

/**
 * Saves a model: `file` (`.safetensors`, PyTorch names and layouts, the config in its metadata) and, beside
 * it, `<name>.json` with the {@link SsdConfig} (for people and tools that read no safetensors metadata). Both
 * atomically. Returns the two paths.
 */
export async function saveSsd(file: string, model: Ssd): Promise<{ weights: string; config: string }> {
  if (typeof file !== 'string' || !file.endsWith('.safetensors')) {
    throw new Error(`saveSsd: file must end in .safetensors, got '${String(file)}'`);
  }
  const config = file.replace(/\.safetensors$/, '.json');
  await writeFileAtomic(file, ssdToSafetensors(model));
  await writeFileAtomic(config, `${JSON.stringify(model.config, null, 2)}\n`);
  return { weights: file, config };
}

/** Loads a model saved by {@link saveSsd} (a custom architecture: pass `model`, built the same way). */
export async function loadSsd(file: string, options: { model?: Ssd } = {}): Promise<Ssd> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new Error(`loadSsd: cannot read ${file}: ${(err as Error).message}`);
  }
  return ssdFromSafetensors(bytes, options);
}

export interface SaveDetectionsOptions {
  /** Class names (index = `classId`). Default `['class 0', …]`; bananas: `['banana']`. */
  classNames?: readonly string[];
  /** Grid columns. Default 4. */
  cols?: number;
  /** Titles under the images. */
  titles?: readonly string[];
  /** What a pixel value of 255 is in `images`: 255 for 0..255 float images (bananas), 1 for [0, 1]. Default 255. */
  inputScale?: number;
}

/**
 * Draws each image's detections (pixel boxes, `label=score`) and writes them as one PNG/JPEG grid to `file`
 * (d2l's `show_bboxes` for a batch). `images` `[B, H, W, 3]`; `detections[b]` from `detect`.
 */
export async function saveDetections(
  file: string,
  images: tf.Tensor4D,
  detections: readonly (readonly Detection[])[],
  options: SaveDetectionsOptions = {},
): Promise<string> {
  const fn = 'saveDetections';
  if (!(images instanceof tf.Tensor) || images.rank !== 4)
    throw new Error(`${fn}: images must be [B, H, W, 3], got [${images?.shape}]`);
  if (!Array.isArray(detections) || detections.length !== images.shape[0]) {
    throw new Error(
      `${fn}: detections must have one list per image (${images.shape[0]}), got ${detections?.length}`,
    );
  }
  const scale = options.inputScale ?? 255;
  const names = options.classNames;
  const cells = tf.unstack(images);
  try {
    const pictures = cells.map((img, i) => {
      const dets: readonly Detection[] = detections[i]!;
      return drawBoxes(
        img,
        dets.map((d) => d.box),
        {
          boxFormat: 'pixels',
          labels: dets.map((d) => names?.[d.classId] ?? `class ${d.classId}`),
          scores: dets.map((d) => d.score),
          inputScale: scale,
        },
      );
    });
    await saveGrid(file, pictures, {
      cols: options.cols ?? 4,
      ...(options.titles ? { titles: options.titles } : {}),
    });
  } finally {
    tf.dispose(cells);
  }
  return path.resolve(file);
}
