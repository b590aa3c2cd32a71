import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng, writeImage } from '@cv/core';
import { BANANAS_CSV_HEADER, BANANAS_IMAGE_SIZE, bananasSplitDir } from '../bananas.js';
import { drawBanana, drawDistractor, randomBananaShape } from '../synth/banana.js';
import { randomBackground } from '../synth/raster.js';
import { loadBackgrounds } from './assets.js';

export interface SynthesizeBananasOptions {
  /** Training images. Default 1000 (d2l's set). */
  train?: number;
  /** Validation images. Default 100 (d2l's set). */
  val?: number;
  /** Seed: the same seed writes the same files. Default 0. */
  seed?: number;
  /** Probability of a non-banana coloured blob in an image. Default 0.3. */
  distractors?: number;
  /** Called after each image with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthesizeBananasResult {
  dir: string;
  train: number;
  val: number;
}

function checkCount(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0)
    throw new Error(`synthesizeBananas: ${name} must be an integer ≥ 0, got ${v}`);
  return v;
}

/**
 * Writes a banana detection set in d2l's format (its `banana-detection` folder): `dir/bananas_train/` and
 * `dir/bananas_val/`, each with `images/<i>.png` (256 x 256 RGB) and `label.csv`
 * (`img_name,label,xmin,ymin,xmax,ymax`, class 0, pixel edge coordinates: `xmax`/`ymax` exclusive).
 * Each image is a random crop of one of the package's background photos (mirrored, brightness jittered) with
 * one banana-like object of random length (32–104 px), curvature, thickness, rotation and position, and
 * sometimes a coloured non-banana blob. Deterministic for a given seed. Node only.
 */
export async function synthesizeBananas(
  dir: string,
  options: SynthesizeBananasOptions = {},
): Promise<SynthesizeBananasResult> {
  if (typeof dir !== 'string' || dir === '')
    throw new Error(`synthesizeBananas: dir must be a folder path, got ${String(dir)}`);
  const nTrain = checkCount('train', options.train ?? 1000);
  const nVal = checkCount('val', options.val ?? 100);
  const seed = options.seed ?? 0;
  const pDistractor = options.distractors ?? 0.3;
  const photos = await loadBackgrounds();
  const size = BANANAS_IMAGE_SIZE;
  const total = nTrain + nVal;
  let done = 0;
  for (const [isTrain, n] of [
    [true, nTrain],
    [false, nVal],
  ] as const) {
    const split = join(dir, bananasSplitDir(isTrain));
    await mkdir(join(split, 'images'), { recursive: true });
    const rows = [BANANAS_CSV_HEADER.join(',')];
    const rng = new Rng(((seed >>> 0) * 2 + (isTrain ? 0 : 1)) >>> 0);
    for (let i = 0; i < n; i++) {
      const data = randomBackground(photos, size, size, rng);
      if (rng.next() < pDistractor) drawDistractor(data, size, size, rng);
      const box = drawBanana(data, size, size, randomBananaShape(rng, size, size), rng);
      const name = `${i}.png`;
      await writeImage(join(split, 'images', name), { width: size, height: size, channels: 3, data });
      rows.push([name, 0, ...box].join(','));
      options.onProgress?.(++done, total);
    }
    await writeFile(join(split, 'label.csv'), `${rows.join('\n')}\n`);
  }
  return { dir, train: nTrain, val: nVal };
}
