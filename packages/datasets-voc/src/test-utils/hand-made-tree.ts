/**
 * A tiny hand-made VOCdevkit tree for the reader tests: one palette-PNG label, one RGB-PNG label (with the
 * border colour), one image smaller than the crop, one truncated JPEG, one bad XML, one label with a value
 * outside the classes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodeIndexedPng, vocPalette, writeImage } from '@cv/core';
import { annotationXml } from '../index.node.js';

export const H = 40;
export const W = 60;

/** Label map of the hand-made examples: class 8 (cat) in a rectangle, 255 on its 1-pixel outline. */
export function handLabel(h = H, w = W, cls = 8): Uint8Array {
  const lab = new Uint8Array(h * w);
  for (let y = 10; y < 30 && y < h; y++)
    for (let x = 20; x < 45 && x < w; x++)
      lab[y * w + x] = y === 10 || y === 29 || x === 20 || x === 44 ? 255 : cls;
  return lab;
}

export function handImage(h = H, w = W, seed = 1): Uint8Array {
  const img = new Uint8Array(h * w * 3);
  for (let i = 0; i < img.length; i++) img[i] = (i * 7 + seed * 31) % 251;
  return img;
}

const deflate = (d: Uint8Array) => new Uint8Array(deflateSync(d));

export async function writeHandMadeTree(root: string): Promise<string> {
  const voc = join(root, 'VOCdevkit', 'VOC2012');
  for (const d of [
    'JPEGImages',
    'SegmentationClass',
    'Annotations',
    'ImageSets/Segmentation',
    'ImageSets/Main',
  ])
    await mkdir(join(voc, d), { recursive: true });
  const pal = vocPalette(256);
  // a_palette: palette PNG label, PNG-lossless image stored as .jpg? No: a real JPEG (labels are what we check).
  await writeImage(join(voc, 'JPEGImages', 'a_palette.jpg'), {
    width: W,
    height: H,
    channels: 3,
    data: handImage(),
  });
  await writeFile(
    join(voc, 'SegmentationClass', 'a_palette.png'),
    encodeIndexedPng(handLabel(), W, H, pal, deflate),
  );
  // b_rgb: the same label stored as an RGB PNG (colours, the border as (224, 224, 192))
  const lab = handLabel(H, W, 15);
  const rgb = new Uint8Array(H * W * 3);
  for (const [i, v] of lab.entries()) rgb.set(pal[v]!, i * 3);
  await writeImage(join(voc, 'JPEGImages', 'b_rgb.jpg'), {
    width: W,
    height: H,
    channels: 3,
    data: handImage(H, W, 2),
  });
  await writeImage(join(voc, 'SegmentationClass', 'b_rgb.png'), {
    width: W,
    height: H,
    channels: 3,
    data: rgb,
  });
  // c_small: smaller than a 32x48 crop
  await writeImage(join(voc, 'JPEGImages', 'c_small.jpg'), {
    width: 30,
    height: 20,
    channels: 3,
    data: handImage(20, 30),
  });
  await writeFile(
    join(voc, 'SegmentationClass', 'c_small.png'),
    encodeIndexedPng(new Uint8Array(600), 30, 20, pal, deflate),
  );
  // d_truncated: a JPEG cut in the middle
  await writeImage(join(voc, 'JPEGImages', 'd_truncated.jpg'), {
    width: W,
    height: H,
    channels: 3,
    data: handImage(H, W, 3),
  });
  const jpg = await readFile(join(voc, 'JPEGImages', 'd_truncated.jpg'));
  await writeFile(join(voc, 'JPEGImages', 'd_truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length / 2)));
  await writeFile(
    join(voc, 'SegmentationClass', 'd_truncated.png'),
    encodeIndexedPng(handLabel(), W, H, pal, deflate),
  );
  // e_badvalue: palette index 40, outside the 21 classes and 255
  const badLab = handLabel();
  badLab[5] = 40;
  await writeImage(join(voc, 'JPEGImages', 'e_badvalue.jpg'), {
    width: W,
    height: H,
    channels: 3,
    data: handImage(),
  });
  await writeFile(
    join(voc, 'SegmentationClass', 'e_badvalue.png'),
    encodeIndexedPng(badLab, W, H, pal, deflate),
  );
  // Annotations: a_palette has two objects (one difficult, one truncated); b_rgb's XML is broken.
  await writeFile(
    join(voc, 'Annotations', 'a_palette.xml'),
    annotationXml('a_palette', W, H, [
      { cls: 8, box: [21, 11, 45, 30], truncated: false, difficult: false },
      { cls: 15, box: [1, 1, 10, 40], truncated: true, difficult: true },
    ]),
  );
  await writeFile(
    join(voc, 'Annotations', 'b_rgb.xml'),
    '<annotation><size><width>60</width></size><object><name>cat</name>',
  );
  await writeFile(
    join(voc, 'Annotations', 'd_truncated.xml'),
    annotationXml('d_truncated', W, H, [
      { cls: 8, box: [21, 11, 45, 30], truncated: false, difficult: false },
    ]),
  );
  const seg = (ids: string[]) => ids.map((x) => `${x}\n`).join('');
  await writeFile(
    join(voc, 'ImageSets', 'Segmentation', 'train.txt'),
    seg(['a_palette', 'b_rgb', 'c_small']),
  );
  await writeFile(join(voc, 'ImageSets', 'Segmentation', 'val.txt'), seg(['a_palette', 'd_truncated']));
  await writeFile(join(voc, 'ImageSets', 'Segmentation', 'bad.txt'), seg(['e_badvalue']));
  await writeFile(join(voc, 'ImageSets', 'Main', 'train.txt'), seg(['a_palette', 'b_rgb']));
  await writeFile(join(voc, 'ImageSets', 'Main', 'val.txt'), seg(['a_palette', 'd_truncated']));
  return voc;
}
