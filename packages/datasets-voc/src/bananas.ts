import { DataLoader, type Dataset } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { parseCsv } from './csv.js';
import { checkOnError, DatasetFileError, type ErrorPolicy } from './errors.js';
import { mapLimit } from './map-limit.js';
import { getDataPlatform, joinRoot } from './platform.js';

/** The header of d2l's `label.csv`. */
export const BANANAS_CSV_HEADER = ['img_name', 'label', 'xmin', 'ymin', 'xmax', 'ymax'] as const;
/** Side of d2l's banana images. */
export const BANANAS_IMAGE_SIZE = 256;

/** The folder of one split: `bananas_train` or `bananas_val`. */
export function bananasSplitDir(isTrain: boolean): string {
  return isTrain ? 'bananas_train' : 'bananas_val';
}

/** The banana images of one split as raw RGB bytes, with their labels. */
export interface BananasRaw {
  /** Image file names, in `label.csv` order. */
  names: string[];
  /** One `[256 * 256 * 3]` RGB byte buffer per image. */
  pixels: Uint8Array[];
  height: number;
  width: number;
  /** `[N * 5]` rows `(class, x1, y1, x2, y2)`, coordinates divided by the image size (d2l's `/ 256`). */
  labels: Float32Array;
}

export interface ReadBananasOptions extends ErrorPolicy {}

function layoutHint(dir: string): string {
  return (
    `a banana-detection folder holds bananas_train/ and bananas_val/, each with images/*.png and label.csv ` +
    `(img_name,label,xmin,ymin,xmax,ymax). Generate one with synthesizeBananas('${dir}') in Node or ` +
    '`npx cv-datasets-voc synth-bananas --out <dir>`'
  );
}

/**
 * Reads one split of the banana detection set into raw bytes (the work behind {@link readDataBananas} and
 * {@link BananasDataset}). `dir` is the folder holding `bananas_train/` and `bananas_val/` (d2l's
 * `banana-detection`), a path in Node or a base URL.
 */
export async function readBananasRaw(
  dir: string,
  isTrain = true,
  options: ReadBananasOptions = {},
): Promise<BananasRaw> {
  const fn = 'readDataBananas';
  if (typeof dir !== 'string' || dir === '')
    throw new Error(`${fn}: dir must be a folder path or URL, got ${String(dir)}`);
  const onError = checkOnError(fn, options.onError);
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const platform = getDataPlatform();
  const split = bananasSplitDir(isTrain);
  const csvPath = joinRoot(dir, `${split}/label.csv`);
  let text: string;
  try {
    text = new TextDecoder().decode(await platform.readBytes(dir, `${split}/label.csv`));
  } catch (err) {
    throw new DatasetFileError(
      `${fn}: cannot read ${csvPath}: ${(err as Error).message}; ${layoutHint(dir)}`,
      csvPath,
      'missing',
    );
  }
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header || BANANAS_CSV_HEADER.some((h, i) => header[i] !== h)) {
    throw new DatasetFileError(
      `${fn}: ${csvPath} must start with the header ${BANANAS_CSV_HEADER.join(',')}, got '${header?.join(',') ?? ''}'`,
      csvPath,
      'corrupt',
    );
  }
  const parsed = rows.map((r, i) => {
    const nums = r.slice(1, 6).map(Number);
    if (r.length !== 6 || nums.some((v) => !Number.isFinite(v)) || !r[0]) {
      throw new DatasetFileError(
        `${fn}: ${csvPath} line ${i + 2} is not 'name,label,xmin,ymin,xmax,ymax': '${r.join(',')}'`,
        csvPath,
        'corrupt',
      );
    }
    const [label, x1, y1, x2, y2] = nums as [number, number, number, number, number];
    if (x2 < x1 || y2 < y1) {
      throw new DatasetFileError(
        `${fn}: ${csvPath} line ${i + 2} has xmax < xmin or ymax < ymin: '${r.join(',')}'`,
        csvPath,
        'corrupt',
      );
    }
    return { name: r[0], box: [label, x1, y1, x2, y2] as const };
  });
  const decoded = await mapLimit(parsed, 16, async ({ name }) => {
    const rel = `${split}/images/${name}`;
    const where = joinRoot(dir, rel);
    try {
      return await platform.decodeRgb(await platform.readBytes(dir, rel), where);
    } catch (err) {
      if (onError === 'skip') {
        warn(`${fn}: skipping ${where}: ${(err as Error).message}`);
        return undefined;
      }
      throw err instanceof DatasetFileError
        ? new DatasetFileError(`${fn}: ${err.message}`, err.path, err.problem)
        : err;
    }
  });
  const names: string[] = [];
  const pixels: Uint8Array[] = [];
  const labels: number[] = [];
  let height = 0;
  let width = 0;
  decoded.forEach((px, i) => {
    if (!px) return;
    const { name, box } = parsed[i]!;
    if (pixels.length === 0) {
      height = px.height;
      width = px.width;
    } else if (px.height !== height || px.width !== width) {
      const where = joinRoot(dir, `${split}/images/${name}`);
      const msg = `${fn}: ${where} is ${px.width}x${px.height} but the first image is ${width}x${height}; all must share one size`;
      if (onError === 'skip') {
        warn(`${msg} (skipped)`);
        return;
      }
      throw new DatasetFileError(msg, where, 'corrupt');
    }
    names.push(name);
    pixels.push(px.data);
    labels.push(box[0], box[1] / width, box[2] / height, box[3] / width, box[4] / height);
  });
  return { names, pixels, height, width, labels: Float32Array.from(labels) };
}

/**
 * d2l's `read_data_bananas(is_train)`: every image of one split and its label, as tensors.
 *
 * @param dir the folder holding `bananas_train/` and `bananas_val/` (d2l's `banana-detection`): a path in
 *   Node, a base URL in browsers.
 * @returns `images` `[N, 256, 256, 3]` float32 pixel values in [0, 255] (d2l keeps uint8 CHW; tfjs has no
 *   uint8, and NHWC is this project's layout) and `labels` `[N, 1, 5]` float32 rows `(class, x1, y1, x2, y2)`
 *   with the corners divided by the image size (d2l's `/ 256`). Memory: N · 786 KB for the images; prefer
 *   {@link BananasDataset}, which keeps bytes, for training.
 */
export async function readDataBananas(
  dir: string,
  isTrain = true,
  options: ReadBananasOptions = {},
): Promise<{ images: tf.Tensor4D; labels: tf.Tensor3D }> {
  const raw = await readBananasRaw(dir, isTrain, options);
  const n = raw.pixels.length;
  const per = raw.height * raw.width * 3;
  const flat = new Float32Array(n * per);
  raw.pixels.forEach((p, i) => {
    flat.set(p, i * per);
  });
  return {
    images: tf.tensor4d(flat, [n, raw.height, raw.width, 3], 'float32'),
    labels: tf.tensor3d(raw.labels, [n, 1, 5], 'float32'),
  };
}

/** One banana example: `image` `[256, 256, 3]` float32 in [0, 255], `label` `[1, 5]` `(class, x1, y1, x2, y2)`. */
export interface BananaItem {
  image: tf.Tensor3D;
  label: tf.Tensor2D;
}

/** A batch of banana examples: `images` `[B, 256, 256, 3]` float32 in [0, 255], `labels` `[B, 1, 5]`. */
export interface BananaBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

/**
 * d2l's `BananasDataset`: the banana detection set as a dataset of `{ image, label }` (see
 * {@link BananaItem}). Build it with `await BananasDataset.load(dir, isTrain)`; it keeps the images as bytes
 * (N · 196 KB) and makes each float32 tensor when asked.
 */
export class BananasDataset implements Dataset<BananaItem> {
  private constructor(private readonly raw: BananasRaw) {}

  /** Reads the split (see {@link readDataBananas} for `dir`) and logs d2l's "read N examples" unless `log: false`. */
  static async load(
    dir: string,
    isTrain = true,
    options: ReadBananasOptions & { log?: boolean | ((m: string) => void) } = {},
  ): Promise<BananasDataset> {
    const raw = await readBananasRaw(dir, isTrain, options);
    const log = options.log === undefined || options.log === true ? console.log : options.log;
    if (log) log(`read ${raw.pixels.length} ${isTrain ? 'training examples' : 'validation examples'}`);
    return new BananasDataset(raw);
  }

  get length(): number {
    return this.raw.pixels.length;
  }

  /** File names in dataset order. */
  get names(): readonly string[] {
    return this.raw.names;
  }

  /**
   * Every label in dataset order, `[N * 5]` rows `(class, x1, y1, x2, y2)` with the corners divided by the image
   * size (a copy): the boxes without decoding any image (for instance to choose anchor sizes).
   */
  get labels(): Float32Array {
    return this.raw.labels.slice();
  }

  get(index: number): BananaItem {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      throw new Error(
        `BananasDataset.get: index ${index} is out of range for a dataset of length ${this.length}`,
      );
    const { height, width } = this.raw;
    const image = tf.tensor3d(Float32Array.from(this.raw.pixels[index]!), [height, width, 3], 'float32');
    const label = tf.tensor2d(this.raw.labels.slice(index * 5, index * 5 + 5), [1, 5], 'float32');
    return { image, label };
  }
}

/** Stacks banana items into `{ images, labels }` and disposes the items. */
export function collateBananas(items: BananaItem[]): BananaBatch {
  if (!Array.isArray(items) || items.length === 0)
    throw new Error('collateBananas: expected a non-empty array of items');
  const batch = tf.tidy(() => ({
    images: tf.stack(items.map((x) => x.image)) as tf.Tensor4D,
    labels: tf.stack(items.map((x) => x.label)) as tf.Tensor3D,
  }));
  for (const x of items) tf.dispose([x.image, x.label]);
  return batch;
}

export interface LoadDataBananasOptions extends ReadBananasOptions {
  /** The folder holding `bananas_train/` and `bananas_val/` (a path in Node, a base URL in browsers). Required. */
  dir: string;
  /** Seed of the training shuffle (see @cv/core `DataLoader`). Default 0. */
  seed?: number;
  /** Batches loaded ahead of the consumer. Default 1. */
  prefetch?: number;
  /** Log "read N examples" lines (d2l prints them). Default false. */
  log?: boolean | ((m: string) => void);
}

/** `[train, val]` that also has `.train` and `.val`. */
export type LoaderPair<B, T> = [DataLoader<T, B>, DataLoader<T, B>] & {
  train: DataLoader<T, B>;
  val: DataLoader<T, B>;
};

export function loaderPair<T, B>(train: DataLoader<T, B>, val: DataLoader<T, B>): LoaderPair<B, T> {
  return Object.assign([train, val] as [DataLoader<T, B>, DataLoader<T, B>], { train, val });
}

/**
 * d2l's `load_data_bananas(batch_size)`: loaders of the training split (shuffled) and the validation split
 * (in order), batches `{ images [B, 256, 256, 3] float32 in [0, 255], labels [B, 1, 5] }`, the last batch
 * smaller (no `drop_last`, as d2l).
 *
 * @returns `[train, val]`, also reachable as `.train` and `.val`.
 */
export async function loadDataBananas(
  batchSize: number,
  options: LoadDataBananasOptions,
): Promise<LoaderPair<BananaBatch, BananaItem>> {
  if (!options || typeof options.dir !== 'string')
    throw new Error(
      'loadDataBananas: options.dir is required (the folder holding bananas_train/ and bananas_val/)',
    );
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`loadDataBananas: batchSize must be an integer ≥ 1, got ${batchSize}`);
  const log = options.log ?? false;
  const [trainSet, valSet] = await Promise.all([
    BananasDataset.load(options.dir, true, { ...options, log }),
    BananasDataset.load(options.dir, false, { ...options, log }),
  ]);
  const common = { batchSize, prefetch: options.prefetch ?? 1, collate: collateBananas };
  return loaderPair(
    new DataLoader(trainSet, { ...common, shuffle: true, seed: options.seed ?? 0 }),
    new DataLoader(valSet, { ...common, shuffle: false }),
  );
}
