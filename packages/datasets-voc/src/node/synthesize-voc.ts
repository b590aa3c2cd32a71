import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodeIndexedPng, Rng, vocPalette, writeImage } from '@cv/core';
import { randomScene, type SceneObject } from '../synth/voc-scene.js';
import { VOC_DETECTION_CLASSES } from '../voc-constants.js';
import { loadBackgrounds } from './assets.js';

export interface SynthesizeVocOptions {
  /** Training images. Default 40. */
  train?: number;
  /** Validation images. Default 20. */
  val?: number;
  /** `[height, width]` of every image, or one number for both. Default `[320, 480]`. */
  size?: number | [number, number];
  /** Seed: the same seed writes the same files. Default 0. */
  seed?: number;
  /** Width of the 255 border band on each side of an object edge, pixels. Default 2 (VOC's is about 5 px wide). */
  border?: number;
  /** JPEG quality. Default 90. */
  quality?: number;
  /** Called after each image with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthesizeVocResult {
  /** The `VOCdevkit/VOC2012` folder written (pass it as `vocDir`). */
  vocDir: string;
  train: string[];
  val: string[];
  objects: number;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** VOC's annotation XML for one image. @internal */
export function annotationXml(
  id: string,
  width: number,
  height: number,
  objects: readonly SceneObject[],
): string {
  const obj = objects
    .map(
      (o) => `\t<object>
\t\t<name>${xmlEscape(VOC_DETECTION_CLASSES[o.cls - 1]!)}</name>
\t\t<pose>Unspecified</pose>
\t\t<truncated>${o.truncated ? 1 : 0}</truncated>
\t\t<difficult>${o.difficult ? 1 : 0}</difficult>
\t\t<bndbox>
\t\t\t<xmin>${o.box[0]}</xmin>
\t\t\t<ymin>${o.box[1]}</ymin>
\t\t\t<xmax>${o.box[2]}</xmax>
\t\t\t<ymax>${o.box[3]}</ymax>
\t\t</bndbox>
\t</object>
`,
    )
    .join('');
  return `<annotation>
\t<folder>VOC2012</folder>
\t<filename>${id}.jpg</filename>
\t<source>
\t\t<database>@cv/datasets-voc synthetic VOC</database>
\t</source>
\t<size>
\t\t<width>${width}</width>
\t\t<height>${height}</height>
\t\t<depth>3</depth>
\t</size>
\t<segmented>1</segmented>
${obj}</annotation>
`;
}

/**
 * Writes a genuine `VOCdevkit/VOC2012` tree under `dir` with learnable synthetic scenes (see `randomScene`:
 * 1–4 objects of the 20 classes, each class its own shape, texture and hue, on photo or procedural
 * backgrounds): `JPEGImages/<id>.jpg`, `SegmentationClass/<id>.png` (8-bit palette PNG with VOC's palette,
 * 255 borders), `Annotations/<id>.xml` (objects with `truncated`, `difficult`, 1-based inclusive `bndbox`),
 * `ImageSets/Segmentation/{train,val,trainval}.txt` and `ImageSets/Main/{train,val,trainval}.txt` plus the
 * per-class `<class>_<split>.txt` lists (1 present, −1 absent, 0 difficult only). Ids look like VOC's
 * (`2012_000000`). Deterministic for a seed. Node only.
 */
export async function synthesizeVoc(
  dir: string,
  options: SynthesizeVocOptions = {},
): Promise<SynthesizeVocResult> {
  const fn = 'synthesizeVoc';
  if (typeof dir !== 'string' || dir === '')
    throw new Error(`${fn}: dir must be a folder path, got ${String(dir)}`);
  const nTrain = options.train ?? 40;
  const nVal = options.val ?? 20;
  for (const [k, v] of [
    ['train', nTrain],
    ['val', nVal],
  ] as const)
    if (!Number.isInteger(v) || v < 0) throw new Error(`${fn}: ${k} must be an integer ≥ 0, got ${v}`);
  const size = options.size ?? [320, 480];
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 16 || width < 16)
    throw new Error(
      `${fn}: size must be [height, width] of integers ≥ 16 (or one number), got ${JSON.stringify(size)}`,
    );
  const voc = join(dir, 'VOCdevkit', 'VOC2012');
  for (const sub of [
    'JPEGImages',
    'SegmentationClass',
    'Annotations',
    'ImageSets/Segmentation',
    'ImageSets/Main',
  ])
    await mkdir(join(voc, sub), { recursive: true });
  const photos = await loadBackgrounds();
  const rng = new Rng(options.seed ?? 0);
  const palette = vocPalette(256);
  const deflate = (d: Uint8Array) => new Uint8Array(deflateSync(d, { level: 9 }));
  const splits: Record<'train' | 'val', string[]> = { train: [], val: [] };
  // presence[c][id] = 1 (present, some not difficult), 0 (only difficult), absent → -1
  const presence = VOC_DETECTION_CLASSES.map(() => new Map<string, number>());
  let objects = 0;
  const total = nTrain + nVal;
  for (let i = 0; i < total; i++) {
    const id = `2012_${String(i).padStart(6, '0')}`;
    const scene = randomScene(height, width, photos, rng, options.border ?? 2);
    await writeImage(
      join(voc, 'JPEGImages', `${id}.jpg`),
      { width, height, channels: 3, data: scene.image },
      {
        quality: options.quality ?? 90,
      },
    );
    await writeFile(
      join(voc, 'SegmentationClass', `${id}.png`),
      encodeIndexedPng(scene.label, width, height, palette, deflate),
    );
    await writeFile(join(voc, 'Annotations', `${id}.xml`), annotationXml(id, width, height, scene.objects));
    for (const o of scene.objects) {
      const m = presence[o.cls - 1]!;
      m.set(id, Math.max(m.get(id) ?? 0, o.difficult ? 0 : 1));
    }
    objects += scene.objects.length;
    (i < nTrain ? splits.train : splits.val).push(id);
    options.onProgress?.(i + 1, total);
  }
  const lists: Record<string, string[]> = { ...splits, trainval: [...splits.train, ...splits.val] };
  for (const [name, ids] of Object.entries(lists)) {
    const text = ids.map((x) => `${x}\n`).join('');
    await writeFile(join(voc, 'ImageSets', 'Segmentation', `${name}.txt`), text);
    await writeFile(join(voc, 'ImageSets', 'Main', `${name}.txt`), text);
    for (const [c, cls] of VOC_DETECTION_CLASSES.entries()) {
      const m = presence[c]!;
      const lines = ids.map((x) => `${x} ${String(m.get(x) ?? -1).padStart(2, ' ')}\n`).join('');
      await writeFile(join(voc, 'ImageSets', 'Main', `${cls}_${name}.txt`), lines);
    }
  }
  return { vocDir: voc, train: splits.train, val: splits.val, objects };
}
