import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend, readImage } from '@cv/core';
import { expectClose, expectNoLeaks } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BananasDataset,
  DatasetFileError,
  loadDataBananas,
  readDataBananas,
  synthesizeBananas,
} from './index.node.js';
import { tempDir, warnings } from './test-utils/helpers.js';

let dir: string;

beforeAll(async () => {
  await initBackend('cpu', { log: false });
  dir = await tempDir('bananas');
  await synthesizeBananas(dir, { train: 12, val: 5, seed: 3 });
});

function csvRows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}

describe('synthesizeBananas', () => {
  it("writes d2l's layout: bananas_train/ and bananas_val/ with images/*.png and label.csv", async () => {
    for (const [split, n] of [
      ['bananas_train', 12],
      ['bananas_val', 5],
    ] as const) {
      const rows = csvRows(await readFile(join(dir, split, 'label.csv'), 'utf8'));
      expect(rows[0]).toEqual(['img_name', 'label', 'xmin', 'ymin', 'xmax', 'ymax']);
      expect(rows).toHaveLength(n + 1);
      const files = (await readdir(join(dir, split, 'images'))).sort();
      expect(files).toEqual(
        rows
          .slice(1)
          .map((r) => r[0])
          .sort(),
      );
      for (const r of rows.slice(1)) {
        const [x1, y1, x2, y2] = r.slice(2).map(Number) as [number, number, number, number];
        expect(r[1]).toBe('0');
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(y1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(256);
        expect(y2).toBeLessThanOrEqual(256);
        // random sizes: at least ~10 px and below the image
        expect(Math.max(x2 - x1, y2 - y1)).toBeGreaterThan(10);
        expect(Math.max(x2 - x1, y2 - y1)).toBeLessThan(200);
      }
    }
    const img = await readImage(join(dir, 'bananas_train', 'images', '0.png'));
    expect(img.shape).toEqual([256, 256, 3]);
    img.dispose();
  });

  it('draws a yellow object inside the box and is deterministic for a seed', async () => {
    const rows = csvRows(await readFile(join(dir, 'bananas_train', 'label.csv'), 'utf8')).slice(1);
    let yellowInside = 0;
    for (const r of rows.slice(0, 6)) {
      const [x1, y1, x2, y2] = r.slice(2).map(Number) as [number, number, number, number];
      const img = await readImage(join(dir, 'bananas_train', 'images', r[0]!));
      const px = img.dataSync();
      img.dispose();
      let yellow = 0;
      for (let y = y1; y < y2; y++)
        for (let x = x1; x < x2; x++) {
          const o = (y * 256 + x) * 3;
          if (px[o]! > 150 && px[o + 1]! > 120 && px[o + 2]! < 110 && px[o]! - px[o + 2]! > 90) yellow++;
        }
      if (yellow > 0.15 * (x2 - x1) * (y2 - y1)) yellowInside++;
    }
    expect(yellowInside).toBeGreaterThanOrEqual(5);
    const again = await tempDir('bananas-again');
    await synthesizeBananas(again, { train: 3, val: 1, seed: 3 });
    expect(await readFile(join(again, 'bananas_train', 'images', '2.png'))).toEqual(
      await readFile(join(dir, 'bananas_train', 'images', '2.png')),
    );
  });
});

describe('readDataBananas / BananasDataset / loadDataBananas', () => {
  it('reads images [N, 256, 256, 3] float32 in [0, 255] and labels [N, 1, 5] divided by 256', async () => {
    const { images, labels } = await readDataBananas(dir, false);
    expect(images.shape).toEqual([5, 256, 256, 3]);
    expect(images.dtype).toBe('float32');
    expect(labels.shape).toEqual([5, 1, 5]);
    const rows = csvRows(await readFile(join(dir, 'bananas_val', 'label.csv'), 'utf8')).slice(1);
    expectClose(
      labels,
      rows.map((r) => [[0, ...r.slice(2).map((v) => Number(v) / 256)]]),
      { what: 'labels' },
    );
    const first = await readImage(join(dir, 'bananas_val', 'images', rows[0]![0]!));
    expectClose(images.slice(0, 1).reshape([256, 256, 3]), first.cast('float32'), { what: 'image 0' });
    tf.dispose([images, labels, first]);
  });

  it('loads shuffled training batches and ordered validation batches, without leaks', async () => {
    const [train, val] = await loadDataBananas(5, { dir, seed: 1 });
    expect(train.length).toBe(3); // 12 / 5, last batch smaller (no drop_last, as d2l)
    expect(val.length).toBe(1);
    await expectNoLeaks(async () => {
      const seen: number[] = [];
      for await (const b of train) {
        expect(b.images.shape.slice(1)).toEqual([256, 256, 3]);
        expect(b.labels.shape.slice(1)).toEqual([1, 5]);
        seen.push(b.images.shape[0]);
        tf.dispose([b.images, b.labels]);
      }
      expect(seen).toEqual([5, 5, 2]);
    });
    expect(train.indices(0)).not.toEqual([...Array(12).keys()]);
    expect(val.indices(0)).toEqual([0, 1, 2, 3, 4]);
    const ds = await BananasDataset.load(dir, false, { log: false });
    const item = ds.get(2);
    const { labels } = await readDataBananas(dir, false);
    expectClose(item.label, labels.slice([2, 0, 0], [1, 1, 5]).reshape([1, 5]));
    // every label at once, without decoding images: the same rows, and a copy
    const all = ds.labels;
    const allT = tf.tensor3d(all, [5, 1, 5]);
    expectClose(allT, labels, { what: 'labels' });
    all[0] = 7;
    expect(ds.labels[0]).toBe(0);
    tf.dispose([item.image, item.label, labels, allT]);
  });

  it('names the missing file and the expected layout', async () => {
    const err = await readDataBananas(join(dir, 'nope')).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect(err.message).toContain(join(dir, 'nope', 'bananas_train', 'label.csv'));
    expect(err.message).toContain('bananas_train/ and bananas_val/');
  });

  it("fails on a corrupt image naming it, or skips it with a warning under onError: 'skip'", async () => {
    const bad = await tempDir('bananas-bad');
    await synthesizeBananas(bad, { train: 3, val: 1, seed: 5 });
    const png = join(bad, 'bananas_train', 'images', '1.png');
    const bytes = await readFile(png);
    await writeFile(png, bytes.subarray(0, 200));
    const err = await readDataBananas(bad, true).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect(err.message).toContain(png);
    const w = warnings();
    const { images, labels } = await readDataBananas(bad, true, { onError: 'skip', warn: w.warn });
    expect(images.shape[0]).toBe(2);
    expect(labels.shape[0]).toBe(2);
    expect(w.messages).toHaveLength(1);
    expect(w.messages[0]).toContain(png);
    tf.dispose([images, labels]);
  });
});

describe('ensureBananas', () => {
  it('generates only when the layout is absent', async () => {
    const { ensureBananas } = await import('./index.node.js');
    expect((await ensureBananas(dir)).generated).toBe(false);
    const fresh = join(await tempDir('ensure'), 'banana-detection');
    expect((await ensureBananas(fresh, { train: 2, val: 1 })).generated).toBe(true);
    expect((await readdir(join(fresh, 'bananas_val', 'images'))).length).toBe(1);
  });
});
