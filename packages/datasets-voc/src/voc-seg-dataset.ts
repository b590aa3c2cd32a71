import {
  DataLoader,
  type Dataset,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type RandomSource,
  Rng,
  uniform,
} from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { type LoaderPair, loaderPair } from './bananas.js';
import { checkOnError, DatasetFileError, type ErrorPolicy } from './errors.js';
import { imageHeaderSize } from './image-header.js';
import { LruCache } from './lru-cache.js';
import { mapLimit } from './map-limit.js';
import { getDataPlatform, joinRoot } from './platform.js';
import { decodeLabelFile, type LabelMap } from './voc-labels.js';
import { readImageSet } from './voc-layout.js';

/** One decoded VOC example: RGB bytes and the label map, same height and width. */
export interface VocDecoded {
  id: string;
  width: number;
  height: number;
  /** `[H * W * 3]` RGB bytes. */
  image: Uint8Array;
  /** `[H * W]` labels: 0..20, 255 = border / ignore. */
  label: Uint8Array;
  labelMode: LabelMap['mode'];
}

/** Reads and decodes `JPEGImages/<id>.jpg` and `SegmentationClass/<id>.png`, checking that they match. */
export async function readVocSegExample(vocDir: string, id: string): Promise<VocDecoded> {
  const platform = getDataPlatform();
  const imgRel = `JPEGImages/${id}.jpg`;
  const labRel = `SegmentationClass/${id}.png`;
  const imgWhere = joinRoot(vocDir, imgRel);
  const labWhere = joinRoot(vocDir, labRel);
  const [imgBytes, labBytes] = await Promise.all([
    platform.readBytes(vocDir, imgRel),
    platform.readBytes(vocDir, labRel),
  ]);
  const [px, lab] = await Promise.all([
    platform.decodeRgb(imgBytes, imgWhere),
    decodeLabelFile(labBytes, labWhere, platform),
  ]);
  if (px.width !== lab.width || px.height !== lab.height) {
    throw new DatasetFileError(
      `label ${labWhere} is ${lab.width}x${lab.height} but its image ${imgWhere} is ${px.width}x${px.height}`,
      labWhere,
      'corrupt',
    );
  }
  return { id, width: px.width, height: px.height, image: px.data, label: lab.labels, labelMode: lab.mode };
}

export interface VOCSegDatasetOptions extends ErrorPolicy {
  /** The `VOCdevkit/VOC2012` folder: a path in Node, a base URL in browsers. */
  vocDir: string;
  /** The list `ImageSets/Segmentation/<split>.txt`. Default 'train'. */
  split?: 'train' | 'val' | 'trainval' | (string & {});
  /** `[height, width]` of the random crops (d2l: `[320, 480]`). Images smaller than this are left out. */
  cropSize: [number, number];
  /** Random source of the crops: a seed, an `Rng`, or a `() => number`. Default `Math.random` (as d2l). */
  rng?: number | RandomSource;
  /** Normalize images with ImageNet mean/std (d2l). Default true; false gives float32 in [0, 255]. */
  normalize?: boolean;
  /** Bytes of decoded images kept in memory (least recently used go first). Default 256 MiB; 0 disables. */
  cacheBytes?: number;
  /** Reads kept in flight at once by `load` (the label headers). Default 16. */
  concurrency?: number;
  /** "read N examples" line, as d2l prints. Default false. */
  log?: boolean | ((m: string) => void);
}

/** One VOC segmentation example: `image` `[h, w, 3]` float32 (normalized), `label` `[h, w]` int32 (255 = ignore). */
export interface VocSegItem {
  image: tf.Tensor3D;
  label: tf.Tensor2D;
}

/** A batch: `images` `[B, h, w, 3]` float32, `labels` `[B, h, w]` int32. */
export interface VocSegBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

/**
 * d2l's `VOCSegDataset(is_train, crop_size, voc_dir)`, lazily: `load` reads the id list and the label PNG
 * headers (to drop images smaller than the crop, as d2l's `filter`), and `get(i)` decodes the JPEG and the
 * label on demand (a bounded LRU cache keeps decoded pairs), crops the same random rectangle from both,
 * normalizes the image with ImageNet mean/std and returns labels as class indices, VOC's border as 255.
 *
 * Errors: a missing list names it and what a VOCdevkit holds; an unreadable image or label names the file. With
 * `onError: 'skip'` such an example is replaced by the next readable one with a warning (and not read again).
 */
export class VOCSegDataset implements Dataset<VocSegItem> {
  /** Ids kept (at least as large as the crop), in list order. */
  readonly ids: readonly string[];
  /** Ids left out: smaller than the crop, or unreadable with `onError: 'skip'`. */
  readonly filtered: readonly { id: string; reason: string }[];
  readonly cropSize: [number, number];
  readonly vocDir: string;
  private readonly cache: LruCache<string, VocDecoded>;
  private readonly rng: RandomSource;
  private readonly bad = new Set<number>();

  private constructor(
    vocDir: string,
    ids: string[],
    filtered: { id: string; reason: string }[],
    private readonly options: VOCSegDatasetOptions,
  ) {
    this.vocDir = vocDir;
    this.ids = ids;
    this.filtered = filtered;
    this.cropSize = options.cropSize;
    this.cache = new LruCache(options.cacheBytes ?? 256 * 2 ** 20);
    const r = options.rng;
    this.rng = typeof r === 'number' ? new Rng(r) : (r ?? Math.random);
  }

  /** Reads the list and the label headers of `split`; see {@link VOCSegDatasetOptions}. */
  static async load(options: VOCSegDatasetOptions): Promise<VOCSegDataset> {
    const fn = 'VOCSegDataset';
    const { vocDir } = options ?? ({} as VOCSegDatasetOptions);
    const crop = options?.cropSize;
    if (!Array.isArray(crop) || crop.length !== 2 || !crop.every((v) => Number.isInteger(v) && v > 0))
      throw new Error(
        `${fn}: cropSize must be [height, width] of positive integers, got ${JSON.stringify(crop)}`,
      );
    const onError = checkOnError(fn, options.onError);
    const warn = options.warn ?? ((m: string) => console.warn(m));
    const split = options.split ?? 'train';
    const ids = await readImageSet(fn, vocDir, 'Segmentation', split);
    const platform = getDataPlatform();
    const sizes = await mapLimit(ids, options.concurrency ?? 16, async (id) => {
      const rel = `SegmentationClass/${id}.png`;
      try {
        const size = imageHeaderSize(await platform.readBytes(vocDir, rel));
        if (!size)
          throw new DatasetFileError(
            `label ${joinRoot(vocDir, rel)} is not a PNG file`,
            joinRoot(vocDir, rel),
            'corrupt',
          );
        return size;
      } catch (err) {
        const msg = `${fn}: ${(err as Error).message}`;
        if (onError === 'skip') {
          warn(`${msg} (skipped)`);
          return (err as Error).message;
        }
        throw err instanceof DatasetFileError ? new DatasetFileError(msg, err.path, err.problem) : err;
      }
    });
    const kept: string[] = [];
    const filtered: { id: string; reason: string }[] = [];
    ids.forEach((id, i) => {
      const s = sizes[i]!;
      if (typeof s === 'string') filtered.push({ id, reason: s });
      else if (s.height < crop[0] || s.width < crop[1])
        filtered.push({
          id,
          reason: `${s.width}x${s.height} is smaller than the crop ${crop[1]}x${crop[0]}`,
        });
      else kept.push(id);
    });
    const log = options.log === true ? console.log : options.log || undefined;
    log?.(`read ${kept.length} examples`);
    return new VOCSegDataset(vocDir, kept, filtered, options);
  }

  get length(): number {
    return this.ids.length;
  }

  /** Decoded image and label of example `index` (from the cache when there). */
  async decoded(index: number): Promise<VocDecoded> {
    const id = this.ids[index]!;
    const hit = this.cache.get(id);
    if (hit) return hit;
    const d = await readVocSegExample(this.vocDir, id);
    this.cache.set(id, d, d.image.length + d.label.length);
    return d;
  }

  /** Cache use: entries and bytes. */
  get cacheStats(): { entries: number; bytes: number; maxBytes: number } {
    return { entries: this.cache.size, bytes: this.cache.bytes, maxBytes: this.cache.maxBytes };
  }

  async get(index: number): Promise<VocSegItem> {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      throw new Error(
        `VOCSegDataset.get: index ${index} is out of range for a dataset of length ${this.length}`,
      );
    const onError = checkOnError('VOCSegDataset', this.options.onError);
    // Draw the crop's position now, in call order (the loader calls get() for a batch in order, then awaits):
    // the same seed gives the same crops however the decodes finish.
    const u = uniform(this.rng);
    const uy = u();
    const ux = u();
    let d: VocDecoded | undefined;
    for (let k = 0; k < this.length && !d; k++) {
      const i = (index + k) % this.length;
      if (this.bad.has(i)) continue;
      try {
        d = await this.decoded(i);
      } catch (err) {
        const msg = `VOCSegDataset: ${(err as Error).message}`;
        if (onError !== 'skip')
          throw err instanceof DatasetFileError ? new DatasetFileError(msg, err.path, err.problem) : err;
        this.bad.add(i);
        (this.options.warn ?? ((m: string) => console.warn(m)))(`${msg} (skipped; using the next example)`);
      }
    }
    if (!d) throw new Error(`VOCSegDataset: no readable example is left in ${this.vocDir}`);
    const [h, w] = this.cropSize;
    if (d.height < h || d.width < w)
      throw new DatasetFileError(
        `VOCSegDataset: ${joinRoot(this.vocDir, `JPEGImages/${d.id}.jpg`)} is ${d.width}x${d.height}, smaller than the crop ${w}x${h} (its label header said otherwise)`,
        joinRoot(this.vocDir, `JPEGImages/${d.id}.jpg`),
        'corrupt',
      );
    const top = Math.min(d.height - h, Math.floor(uy * (d.height - h + 1)));
    const left = Math.min(d.width - w, Math.floor(ux * (d.width - w + 1)));
    return cropNormalize(d, { top, left, height: h, width: w }, this.options.normalize ?? true);
  }
}

/**
 * Crops `rect` out of a decoded example and makes the tensors: the image normalized with ImageNet mean/std
 * (`(x / 255 − mean) / std`, torchvision `Normalize` after `ToTensor`; d2l normalizes the float image the
 * same way) or kept in [0, 255], the label as int32.
 */
export function cropNormalize(
  d: { width: number; image: Uint8Array; label: Uint8Array },
  rect: { top: number; left: number; height: number; width: number },
  normalize = true,
): VocSegItem {
  const { top, left, height: h, width: w } = rect;
  const img = new Float32Array(h * w * 3);
  const lab = new Int32Array(h * w);
  const m = IMAGENET_MEAN;
  const s = IMAGENET_STD;
  const a = normalize ? [1 / (255 * s[0]), 1 / (255 * s[1]), 1 / (255 * s[2])] : [1, 1, 1];
  const b = normalize ? [-m[0] / s[0], -m[1] / s[1], -m[2] / s[2]] : [0, 0, 0];
  const [a0, a1, a2] = a as [number, number, number];
  const [b0, b1, b2] = b as [number, number, number];
  for (let y = 0; y < h; y++) {
    let src = ((top + y) * d.width + left) * 3;
    let dst = y * w * 3;
    for (let x = 0; x < w; x++) {
      img[dst] = d.image[src]! * a0 + b0;
      img[dst + 1] = d.image[src + 1]! * a1 + b1;
      img[dst + 2] = d.image[src + 2]! * a2 + b2;
      src += 3;
      dst += 3;
    }
    const lrow = (top + y) * d.width + left;
    for (let x = 0; x < w; x++) lab[y * w + x] = d.label[lrow + x]!;
  }
  return { image: tf.tensor3d(img, [h, w, 3], 'float32'), label: tf.tensor2d(lab, [h, w], 'int32') };
}

/** Stacks segmentation items into `{ images, labels }` and disposes the items. */
export function collateSeg(items: VocSegItem[]): VocSegBatch {
  if (!Array.isArray(items) || items.length === 0)
    throw new Error('collateSeg: expected a non-empty array of items');
  const batch = tf.tidy(() => ({
    images: tf.stack(items.map((x) => x.image)) as tf.Tensor4D,
    labels: tf.stack(items.map((x) => x.label)) as tf.Tensor3D,
  }));
  for (const x of items) tf.dispose([x.image, x.label]);
  return batch;
}

export interface LoadDataVocOptions extends Omit<VOCSegDatasetOptions, 'cropSize' | 'split' | 'rng'> {
  /** Seed of the shuffle and of the crops. Default 0. */
  seed?: number;
  /** Batches loaded ahead of the consumer (see @cv/core `DataLoader`). Default 1. */
  prefetch?: number;
  /** Drop the last incomplete batch. Default true (d2l's `drop_last=True` for both loaders). */
  dropLast?: boolean;
}

/**
 * d2l's `load_data_voc(batch_size, crop_size)`: loaders over `VOCSegDataset` train (shuffled) and val (in
 * order), both dropping the last incomplete batch as d2l does. Batches are
 * `{ images [B, h, w, 3] float32 (ImageNet-normalized), labels [B, h, w] int32 (255 = ignore) }`.
 * Reading is lazy: the loader's prefetch decodes the next batches while a step runs.
 *
 * @returns `[train, val]`, also reachable as `.train` and `.val`.
 */
export async function loadDataVoc(
  batchSize: number,
  cropSize: [number, number],
  options: LoadDataVocOptions,
): Promise<LoaderPair<VocSegBatch, VocSegItem>> {
  if (!options || typeof options.vocDir !== 'string')
    throw new Error('loadDataVoc: options.vocDir is required (the VOCdevkit/VOC2012 folder, a path or URL)');
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`loadDataVoc: batchSize must be an integer ≥ 1, got ${batchSize}`);
  const seed = options.seed ?? 0;
  const [trainSet, valSet] = await Promise.all([
    VOCSegDataset.load({ ...options, cropSize, split: 'train', rng: new Rng(seed * 2 + 1) }),
    VOCSegDataset.load({ ...options, cropSize, split: 'val', rng: new Rng(seed * 2 + 2) }),
  ]);
  const common = {
    batchSize,
    prefetch: options.prefetch ?? 1,
    dropLast: options.dropLast ?? true,
    collate: collateSeg,
  };
  return loaderPair(
    new DataLoader(trainSet, { ...common, shuffle: true, seed }),
    new DataLoader(valSet, { ...common, shuffle: false }),
  );
}
