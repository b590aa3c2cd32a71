import { DataLoader, type Dataset, resize } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { type LoaderPair, loaderPair } from './bananas.js';
import { checkOnError, DatasetFileError, type ErrorPolicy } from './errors.js';
import { getDataPlatform, joinRoot } from './platform.js';
import { normalizeVocBox, parseVocAnnotation, type VocAnnotation } from './voc-annotation.js';
import type { ImageAnnotation } from './voc-eval.js';
import { readImageSet } from './voc-layout.js';

export interface VOCDetectionOptions extends ErrorPolicy {
  /** The `VOCdevkit/VOC2012` folder (a path in Node, a base URL in browsers). */
  vocDir: string;
  /** The list `ImageSets/Main/<split>.txt`. Default 'train'. */
  split?: 'train' | 'val' | 'trainval' | 'test' | (string & {});
  /** Keep objects marked difficult in the label rows. Default false (as SSD training does; torchvision keeps them). */
  keepDifficult?: boolean;
  /** Resize every image to `[height, width]` (bilinear, `align_corners=False`); needed to batch. Default: none. */
  size?: [number, number];
  /** Class names, index = class. Default VOC's 20 (`VOC_DETECTION_CLASSES`). */
  classes?: readonly string[];
}

/** One detection example: `image` `[H, W, 3]` float32 in [0, 255]; `label` `[M, 5]` rows `(class, x1, y1, x2, y2)` normalized. */
export interface VocDetItem {
  image: tf.Tensor3D;
  label: tf.Tensor2D;
}

/** A batch: `images` `[B, H, W, 3]`, `labels` `[B, M, 5]` padded with rows of −1 (as `multiboxTarget` takes). */
export interface VocDetBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

/**
 * Pascal VOC detection (torchvision's `VOCDetection` over `ImageSets/Main`), for SSD-style training:
 * `load` reads every `Annotations/<id>.xml` (small) and `get(i)` decodes `JPEGImages/<id>.jpg` lazily.
 * Labels are rows `(class, x1, y1, x2, y2)` with class 0..19 and normalized corners (see `normalizeVocBox`).
 * A bad XML or image names the file and fails, or with `onError: 'skip'` the example is left out (XML) or
 * replaced by the next one (image) with a warning.
 */
export class VOCDetection implements Dataset<VocDetItem> {
  private readonly bad = new Set<number>();

  private constructor(
    readonly vocDir: string,
    readonly ids: readonly string[],
    readonly annotations: readonly VocAnnotation[],
    readonly skipped: readonly { id: string; reason: string }[],
    private readonly options: VOCDetectionOptions,
  ) {}

  static async load(options: VOCDetectionOptions): Promise<VOCDetection> {
    const fn = 'VOCDetection';
    const onError = checkOnError(fn, options?.onError);
    const warn = options.warn ?? ((m: string) => console.warn(m));
    if (
      options.size !== undefined &&
      !(
        Array.isArray(options.size) &&
        options.size.length === 2 &&
        options.size.every((v) => Number.isInteger(v) && v > 0)
      )
    )
      throw new Error(
        `${fn}: size must be [height, width] of positive integers, got ${JSON.stringify(options.size)}`,
      );
    const ids = await readImageSet(fn, options.vocDir, 'Main', options.split ?? 'train');
    const platform = getDataPlatform();
    const parsed = await Promise.all(
      ids.map(async (id) => {
        const rel = `Annotations/${id}.xml`;
        const where = joinRoot(options.vocDir, rel);
        try {
          return parseVocAnnotation(
            new TextDecoder().decode(await platform.readBytes(options.vocDir, rel)),
            where,
            options.classes,
          );
        } catch (err) {
          const msg = `${fn}: ${(err as Error).message}`;
          if (onError === 'skip') {
            warn(`${msg} (skipped)`);
            return (err as Error).message;
          }
          throw err instanceof DatasetFileError ? new DatasetFileError(msg, err.path, err.problem) : err;
        }
      }),
    );
    const keptIds: string[] = [];
    const anns: VocAnnotation[] = [];
    const skipped: { id: string; reason: string }[] = [];
    parsed.forEach((p, i) => {
      if (typeof p === 'string') skipped.push({ id: ids[i]!, reason: p });
      else {
        keptIds.push(ids[i]!);
        anns.push(p);
      }
    });
    return new VOCDetection(options.vocDir, keptIds, anns, skipped, options);
  }

  get length(): number {
    return this.ids.length;
  }

  /** The label rows of example `index` (without decoding the image): `[M, 5]` as a flat Float32Array. */
  labelRows(index: number): Float32Array {
    const a = this.annotations[index]!;
    const keep = this.options.keepDifficult ?? false;
    const rows = a.objects.filter((o) => keep || !o.difficult);
    const out = new Float32Array(rows.length * 5);
    rows.forEach((o, k) => {
      out.set([o.cls, ...normalizeVocBox(o.bndbox, a.width, a.height)], k * 5);
    });
    return out;
  }

  /** The annotations in the form `vocEvaluate` takes (all objects, difficult flagged; pixel boxes). */
  evaluationTargets(): ImageAnnotation[] {
    return this.annotations.map((a, i) => ({
      imageId: this.ids[i]!,
      objects: a.objects.map((o) => ({ cls: o.cls, box: o.bndbox, difficult: o.difficult })),
    }));
  }

  async get(index: number): Promise<VocDetItem> {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      throw new Error(
        `VOCDetection.get: index ${index} is out of range for a dataset of length ${this.length}`,
      );
    const platform = getDataPlatform();
    const onError = checkOnError('VOCDetection', this.options.onError);
    for (let k = 0; k < this.length; k++) {
      const i = (index + k) % this.length;
      if (this.bad.has(i)) continue;
      const rel = `JPEGImages/${this.ids[i]}.jpg`;
      const where = joinRoot(this.vocDir, rel);
      try {
        const px = await platform.decodeRgb(await platform.readBytes(this.vocDir, rel), where);
        const a = this.annotations[i]!;
        if (px.width !== a.width || px.height !== a.height)
          throw new DatasetFileError(
            `${where} is ${px.width}x${px.height} but its annotation says ${a.width}x${a.height}`,
            where,
            'corrupt',
          );
        const rows = this.labelRows(i);
        const size = this.options.size;
        const image = tf.tidy(() => {
          const t = tf.tensor3d(Float32Array.from(px.data), [px.height, px.width, 3], 'float32');
          return size ? (resize(t, size) as tf.Tensor3D) : t;
        });
        return { image, label: tf.tensor2d(rows, [rows.length / 5, 5], 'float32') };
      } catch (err) {
        const msg = `VOCDetection: ${(err as Error).message}`;
        if (onError !== 'skip')
          throw err instanceof DatasetFileError ? new DatasetFileError(msg, err.path, err.problem) : err;
        this.bad.add(i);
        (this.options.warn ?? ((m: string) => console.warn(m)))(`${msg} (skipped; using the next example)`);
      }
    }
    throw new Error(`VOCDetection: no readable image is left in ${this.vocDir}`);
  }
}

/**
 * Pads `[M_i, 5]` label rows to `[B, M, 5]` (M = the largest `M_i`, at least 1) with rows of −1, the
 * padding `@cv/anchors`' `multiboxTarget` ignores.
 */
export function padLabels(labels: readonly tf.Tensor2D[]): tf.Tensor3D {
  if (labels.length === 0) throw new Error('padLabels: expected at least one label tensor');
  labels.forEach((l, i) => {
    if (!(l instanceof tf.Tensor) || l.rank !== 2 || l.shape[1] !== 5)
      throw new Error(
        `padLabels: labels[${i}] must be [M, 5], got ${l instanceof tf.Tensor ? `[${l.shape}]` : typeof l}`,
      );
  });
  const m = Math.max(1, ...labels.map((l) => l.shape[0]));
  return tf.tidy(() =>
    tf.stack(labels.map((l) => (l.shape[0] === m ? l : tf.concat([l, tf.fill([m - l.shape[0], 5], -1)], 0)))),
  ) as tf.Tensor3D;
}

/** Stacks detection items (same image size) into `{ images, labels }` with padded labels; disposes the items. */
export function collateDetection(items: VocDetItem[]): VocDetBatch {
  if (!Array.isArray(items) || items.length === 0)
    throw new Error('collateDetection: expected a non-empty array of items');
  const s0 = items[0]!.image.shape;
  items.forEach((x, i) => {
    if (x.image.shape.some((d, k) => d !== s0[k]))
      throw new Error(
        `collateDetection: item ${i} has an image of shape [${x.image.shape}] but item 0 has [${s0}]; pass size: [h, w] to VOCDetection to batch`,
      );
  });
  const batch = tf.tidy(() => ({
    images: tf.stack(items.map((x) => x.image)) as tf.Tensor4D,
    labels: padLabels(items.map((x) => x.label)),
  }));
  for (const x of items) tf.dispose([x.image, x.label]);
  return batch;
}

export interface LoadDataVocDetectionOptions extends Omit<VOCDetectionOptions, 'split' | 'size'> {
  seed?: number;
  prefetch?: number;
}

/**
 * Loaders over `VOCDetection` train (shuffled) and val (in order), images resized to `size`, batches
 * `{ images [B, h, w, 3] float32 in [0, 255], labels [B, M, 5] }` padded with −1 rows.
 */
export async function loadDataVocDetection(
  batchSize: number,
  size: [number, number],
  options: LoadDataVocDetectionOptions,
): Promise<LoaderPair<VocDetBatch, VocDetItem>> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`loadDataVocDetection: batchSize must be an integer ≥ 1, got ${batchSize}`);
  const [train, val] = await Promise.all([
    VOCDetection.load({ ...options, split: 'train', size }),
    VOCDetection.load({ ...options, split: 'val', size }),
  ]);
  const common = { batchSize, prefetch: options.prefetch ?? 1, collate: collateDetection };
  return loaderPair(
    new DataLoader(train, { ...common, shuffle: true, seed: options.seed ?? 0 }),
    new DataLoader(val, { ...common, shuffle: false }),
  );
}
