import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import chelsea from '../../fixtures/data/chelsea-64x43.json';
import pilMask from '../../fixtures/data/voc-mask-pil.json';
import { colorizeLabels } from '../image/colorize-labels.js';
import { DEFAULT_BOX_COLORS } from '../image/draw-boxes.js';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import {
  encodeImageFile,
  readImage,
  readLabelPng,
  saveBoxes,
  saveGrid,
  writeImage,
  writeLabelPng,
} from './image-file.js';

// Fixtures, made by fixtures/data/make_image_fixture.py (Pillow): chelsea-64x43.png (CC0, see
// fixtures/data/LICENSES.md) with the values Pillow decodes from it (chelsea-64x43.json), and a VOC-style
// palette mask written by Pillow with its indices (voc-mask-pil.png, voc-mask-pil.json).
const CHELSEA = new URL('../../fixtures/data/chelsea-64x43.png', import.meta.url).pathname;

let dir: string;
beforeAll(async () => {
  await initBackend('cpu', { log: false });
  dir = await mkdtemp(join(tmpdir(), 'cv-image-file-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A [h, w, 3] int32 image with varied bytes. */
function pattern(h: number, w: number): tf.Tensor3D {
  return tf.tensor3d(
    Int32Array.from({ length: h * w * 3 }, (_, i) => (i * 53 + (i >> 3)) % 256),
    [h, w, 3],
    'int32',
  );
}

async function pixel(path: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const o = (y * info.width + x) * info.channels;
  return Array.from(data.subarray(o, o + 3));
}

describe('readImage / writeImage', () => {
  it('decodes a real PNG exactly as Pillow does', async () => {
    const t = await expectNoLeaks(() => readImage(CHELSEA));
    expect(t.shape).toEqual([chelsea.height, chelsea.width, 3]);
    expect(t.dtype).toBe('int32');
    const sums = tf.tidy(() => Array.from(t.sum([0, 1]).dataSync()));
    expect(sums).toEqual(chelsea.channel_sums);
    const px = t.arraySync();
    for (const [xy, rgb] of Object.entries(chelsea.pixels)) {
      const [x, y] = xy.split(',').map(Number);
      expect(px[y!]![x!]).toEqual(rgb);
    }
    const gray = await readImage(await readFile(CHELSEA), { channels: 1 });
    expect(gray.sum().dataSync()[0]).toBe(chelsea.gray_sum); // Pillow's convert('L')
    const f = await readImage(CHELSEA, { dtype: 'float32' });
    expect(f.max().dataSync()[0]).toBeLessThanOrEqual(1);
    tf.dispose([t, gray, f]);
  });

  it('round-trips PNG exactly (RGB, gray, float) and JPEG closely', async () => {
    const img = pattern(5, 7);
    const png = join(dir, 'sub/dir/round.png');
    await expectNoLeaks(() => writeImage(png, img));
    const back = await readImage(png);
    expect(Array.from(back.dataSync())).toEqual(Array.from(img.dataSync()));

    const gray = tf.tensor2d(
      [
        [0, 1, 2],
        [253, 254, 255],
      ],
      undefined,
      'int32',
    );
    const grayPath = join(dir, 'gray.png');
    await writeImage(grayPath, gray);
    expect((await sharp(grayPath).metadata()).channels).toBe(1);
    const grayBack = await readImage(grayPath, { channels: 1 });
    expect(Array.from(grayBack.dataSync())).toEqual([0, 1, 2, 253, 254, 255]);

    const floats = tf.div(tf.cast(img, 'float32'), 255);
    await writeImage(join(dir, 'float.png'), floats);
    const floatBack = await readImage(join(dir, 'float.png'));
    expect(Array.from(floatBack.dataSync())).toEqual(Array.from(img.dataSync()));

    const photo = await readImage(CHELSEA);
    const jpg = join(dir, 'photo.jpg');
    await writeImage(jpg, photo, { quality: 95 });
    const jpgBack = await readImage(jpg);
    const meanAbs = tf.tidy(() => tf.abs(tf.sub(jpgBack, photo)).mean().dataSync()[0]!);
    expect(meanAbs).toBeLessThan(3);
    expect((await readFile(jpg)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect((await encodeImageFile(img, 'png')).subarray(1, 4).toString()).toBe('PNG');
    tf.dispose([img, back, gray, grayBack, floats, floatBack, photo, jpgBack]);
  });

  it('names the bad path or file', async () => {
    const img = pattern(2, 2);
    await expect(writeImage(join(dir, 'x.bmp'), img)).rejects.toThrow(
      /writeImage: cannot tell the format of '.*x\.bmp': the extension must be \.png, \.jpg or \.jpeg/,
    );
    await expect(readImage(join(dir, 'missing.png'))).rejects.toThrow(
      /readImage: cannot decode '.*missing\.png': /,
    );
    await expect(writeImage(join(dir, 'q.jpg'), img, { quality: 0 })).rejects.toThrow(
      /writeImage: quality must be an integer in \[1, 100\], got 0/,
    );
    img.dispose();
  });
});

describe('label PNGs', () => {
  it('writes VOC-style palette PNGs and reads the indices back, 255 included', async () => {
    const labels = tf.tensor2d(
      [
        [0, 1, 2, 255],
        [20, 15, 0, 255],
        [7, 7, 7, 7],
      ],
      undefined,
      'int32',
    );
    const path = join(dir, 'mask.png');
    await writeLabelPng(path, labels);
    const meta = await sharp(path).metadata();
    expect(meta.isPalette).toBe(true);
    const back = await expectNoLeaks(() => readLabelPng(path));
    expect(back.dtype).toBe('int32');
    expect(back.arraySync()).toEqual(labels.arraySync());
    // Viewers see the VOC colors: sharp expands the palette.
    expect(await pixel(path, 3, 0)).toEqual([224, 224, 192]);
    expect(await pixel(path, 1, 0)).toEqual([128, 0, 0]);
    await expect(
      writeLabelPng(join(dir, 'bad.png'), tf.tensor2d([[300]], undefined, 'int32')),
    ).rejects.toThrow(
      /writeLabelPng: label 300 at flat index 0 is not an integer in \[0, 255\] \(the palette's range\)/,
    );
    tf.dispose([labels, back]);
  });

  it('reads a palette mask written by Pillow (voc-mask-pil.png, make_image_fixture.py) as its indices', async () => {
    const path = new URL('../../fixtures/data/voc-mask-pil.png', import.meta.url).pathname;
    const labels = await readLabelPng(path);
    expect(labels.shape).toEqual([pilMask.height, pilMask.width]);
    expect(Array.from(labels.dataSync())).toEqual(pilMask.indices);
    labels.dispose();
  });

  it('reads RGB masks through the palette and grayscale masks as values', async () => {
    const labels = tf.tensor2d(
      [
        [0, 3],
        [255, 20],
      ],
      undefined,
      'int32',
    );
    const rgbPath = join(dir, 'mask-rgb.png');
    const colors = colorizeLabels(labels);
    await writeImage(rgbPath, colors);
    expect((await readLabelPng(rgbPath)).arraySync()).toEqual([
      [0, 3],
      [255, 20],
    ]);
    const grayPath = join(dir, 'mask-gray.png');
    await writeImage(grayPath, labels);
    expect((await readLabelPng(await readFile(grayPath))).arraySync()).toEqual([
      [0, 3],
      [255, 20],
    ]);
    await writeFile(join(dir, 'not.png'), 'hello');
    await expect(readLabelPng(join(dir, 'not.png'))).rejects.toThrow(
      /readLabelPng: '.*not\.png' is not a PNG file/,
    );
    tf.dispose([labels, colors]);
  });
});

describe('saveBoxes / saveGrid', () => {
  it('writes boxes with the box color at the expected pixels and label text over the tag', async () => {
    const image = tf.fill([60, 80, 3], 200, 'int32') as tf.Tensor3D;
    const path = join(dir, 'boxes.png');
    // Normalized corners: box 1 covers columns 8..39, rows 6..53; box 2 columns 48..75, rows 30..47.
    const boxes = tf.tensor2d([
      [0.1, 0.1, 0.5, 0.9],
      [0.6, 0.5, 0.95, 0.8],
    ]);
    await expectNoLeaks(() =>
      saveBoxes(path, image, boxes, { labels: ['cat', 'dog'], scores: [0.9, 0.25], lineWidth: 2 }),
    );
    const [blue, green] = [[...DEFAULT_BOX_COLORS[0]!], [...DEFAULT_BOX_COLORS[1]!]];
    expect(await pixel(path, 8, 53)).toEqual(blue); // bottom-left corner of box 1
    expect(await pixel(path, 39, 50)).toEqual(blue); // right edge
    expect(await pixel(path, 38, 50)).toEqual(blue); // second outline pixel
    expect(await pixel(path, 37, 50)).toEqual([200, 200, 200]); // inside
    // Box 2's tag ('dog=0.25', 66 px wide at fontScale 2) moved left to fit: it covers (39, 30) in green.
    expect(await pixel(path, 30, 31)).toEqual(green);
    expect(await pixel(path, 75, 47)).toEqual(green);
    expect(await pixel(path, 60, 45)).toEqual([200, 200, 200]);
    // The tag of box 1 (top-left at (8, 6), 14 px high) holds white text: some of its pixels are not blue.
    const { data } = await sharp(path)
      .extract({ left: 8, top: 6, width: 40, height: 14 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    let light = 0;
    for (let i = 0; i < data.length; i += 3) if (data[i]! > 150 && data[i + 1]! > 150) light++;
    expect(light).toBeGreaterThan(10);
    tf.dispose([image, boxes]);
  });

  it('writes bitmap-text boxes as JPEG and grids with titles', async () => {
    const a = pattern(10, 12);
    const b = tf.zeros([8, 8, 3]);
    await saveBoxes(join(dir, 'boxes.jpg'), a, [[0, 0, 1, 1]], { text: 'bitmap', labels: ['x'] });
    expect((await sharp(join(dir, 'boxes.jpg')).metadata()).format).toBe('jpeg');
    const gridPath = join(dir, 'grid.png');
    await saveGrid(gridPath, [a, b, a], { cols: 2, pad: 2, titles: ['one', 'two'] });
    const meta = await sharp(gridPath).metadata();
    // Cells 12x10 plus a 14-px title band: 2 + 2·(12 + 2) = 30 wide, 2 + 2·(14 + 10 + 2) = 54 high.
    expect([meta.width, meta.height]).toEqual([30, 54]);
    // Image 2 (black) sits at x = 2 + 14 + 2 (centered), y = 2 + 14 + 1.
    expect(await pixel(gridPath, 18, 17)).toEqual([0, 0, 0]);
    expect(await pixel(gridPath, 17, 17)).toEqual([255, 255, 255]);
    await saveGrid(join(dir, 'grid-bitmap.png'), [a], { titles: ['t'], text: 'bitmap' });
    await expect(saveGrid(join(dir, 'g.gif'), [a])).rejects.toThrow(/saveGrid: cannot tell the format/);
    tf.dispose([a, b]);
  });
});
