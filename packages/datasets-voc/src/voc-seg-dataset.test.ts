import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGENET_MEAN, IMAGENET_STD, initBackend, readImage, readLabelPng } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cropNormalize,
  DatasetFileError,
  loadDataVoc,
  readVocSegExample,
  synthesizeVoc,
  VOCSegDataset,
} from './index.node.js';
import { handImage, handLabel, writeHandMadeTree } from './test-utils/hand-made-tree.js';
import { tempDir, warnings } from './test-utils/helpers.js';

let gen: string;
let hand: string;

beforeAll(async () => {
  await initBackend('cpu', { log: false });
  gen = (await synthesizeVoc(await tempDir('voc'), { train: 6, val: 3, size: [64, 96], seed: 11 })).vocDir;
  hand = await writeHandMadeTree(await tempDir('hand'));
});

describe('synthesizeVoc', () => {
  it('writes a genuine VOCdevkit/VOC2012 tree: JPEG images, palette PNG labels with 255 borders, XML, lists', async () => {
    const train = (await readFile(join(gen, 'ImageSets/Segmentation/train.txt'), 'utf8')).trim().split('\n');
    const val = (await readFile(join(gen, 'ImageSets/Segmentation/val.txt'), 'utf8')).trim().split('\n');
    expect(train).toHaveLength(6);
    expect(val).toHaveLength(3);
    expect(
      (await readFile(join(gen, 'ImageSets/Main/trainval.txt'), 'utf8')).trim().split('\n'),
    ).toHaveLength(9);
    const id = train[0]!;
    const jpg = await readFile(join(gen, 'JPEGImages', `${id}.jpg`));
    expect([jpg[0], jpg[1]]).toEqual([0xff, 0xd8]);
    const png = await readFile(join(gen, 'SegmentationClass', `${id}.png`));
    expect(png[25]).toBe(3); // colour type 3: palette
    const values = new Set<number>();
    for (const i of [...train, ...val]) {
      const lab = await readLabelPng(join(gen, 'SegmentationClass', `${i}.png`));
      for (const v of lab.dataSync()) values.add(v);
      lab.dispose();
    }
    expect(values.has(0)).toBe(true);
    expect(values.has(255)).toBe(true);
    expect([...values].every((v) => v <= 20 || v === 255)).toBe(true);
    expect([...values].filter((v) => v > 0 && v < 255).length).toBeGreaterThan(2);
    const xml = await readFile(join(gen, 'Annotations', `${id}.xml`), 'utf8');
    expect(xml).toContain('<bndbox>');
    expect(xml).toContain('<difficult>');
  });

  it('is deterministic for a seed', async () => {
    const again = (await synthesizeVoc(await tempDir('voc2'), { train: 2, val: 0, size: [64, 96], seed: 11 }))
      .vocDir;
    const id = '2012_000001';
    expect(await readFile(join(again, 'SegmentationClass', `${id}.png`))).toEqual(
      await readFile(join(gen, 'SegmentationClass', `${id}.png`)),
    );
  });
});

describe('VOCSegDataset on the generated tree', () => {
  it('crops the same rectangle from image and label, normalizes with ImageNet mean/std, no leaks', async () => {
    const ds = await VOCSegDataset.load({ vocDir: gen, split: 'train', cropSize: [32, 48], rng: 5 });
    expect(ds.length).toBe(6);
    const full = await readVocSegExample(gen, ds.ids[1]!);
    const item = await expectNoLeaks(() => ds.get(1));
    expect(item.image.shape).toEqual([32, 48, 3]);
    expect(item.label.shape).toEqual([32, 48]);
    expect(item.label.dtype).toBe('int32');
    // Find the crop offset from the label and check the image at the same place.
    const lab = item.label.dataSync();
    const img = item.image.dataSync();
    let found = 0;
    for (let top = 0; top <= 64 - 32; top++)
      for (let left = 0; left <= 96 - 48; left++) {
        let ok = true;
        for (let y = 0; y < 32 && ok; y += 3)
          for (let x = 0; x < 48 && ok; x += 3)
            ok = lab[y * 48 + x] === full.label[(top + y) * 96 + left + x];
        if (!ok) continue;
        let imgOk = true;
        for (let k = 0; k < 3 && imgOk; k++) {
          const v = full.image[((top + 5) * 96 + left + 7) * 3 + k]!;
          const expected = (v / 255 - IMAGENET_MEAN[k]!) / IMAGENET_STD[k]!;
          imgOk = Math.abs(img[(5 * 48 + 7) * 3 + k]! - expected) < 1e-5;
        }
        if (imgOk) found++;
      }
    expect(found).toBeGreaterThanOrEqual(1);
    tf.dispose([item.image, item.label]);
  });

  it('loadDataVoc: shuffled train, ordered val, drop_last, batches [B, h, w, 3] / [B, h, w]', async () => {
    const [train, val] = await loadDataVoc(4, [32, 48], { vocDir: gen, seed: 2 });
    expect(train.length).toBe(1); // 6 // 4
    expect(val.length).toBe(0); // 3 // 4
    await expectNoLeaks(async () => {
      for await (const b of train) {
        expect(b.images.shape).toEqual([4, 32, 48, 3]);
        expect(b.labels.shape).toEqual([4, 32, 48]);
        tf.dispose([b.images, b.labels]);
      }
    });
    // Same seed → same crops (decoding order does not matter).
    const [t2] = await loadDataVoc(4, [32, 48], { vocDir: gen, seed: 2 });
    const [t3] = await loadDataVoc(4, [32, 48], { vocDir: gen, seed: 2, cacheBytes: 0 });
    const a = (await t2.iterate(0).next()).value!;
    const b = (await t3.iterate(0).next()).value!;
    expectClose(a.images, b.images);
    expectClose(a.labels, b.labels);
    tf.dispose([a, b].flatMap((x) => [x.images, x.labels]));
  });

  it('keeps decoded images in a bounded cache', async () => {
    const ds = await VOCSegDataset.load({ vocDir: gen, cropSize: [32, 48], cacheBytes: 2 * 64 * 96 * 4 });
    for (let i = 0; i < ds.length; i++) tf.dispose(Object.values(await ds.get(i)));
    expect(ds.cacheStats.entries).toBe(2);
    expect(ds.cacheStats.bytes).toBeLessThanOrEqual(ds.cacheStats.maxBytes);
  });
});

describe('VOCSegDataset on a hand-made tree', () => {
  it('reads palette-PNG labels as indices and RGB-PNG labels through the palette, border → 255', async () => {
    const a = await readVocSegExample(hand, 'a_palette');
    expect(a.labelMode).toBe('palette');
    expect(Array.from(a.label)).toEqual(Array.from(handLabel()));
    const b = await readVocSegExample(hand, 'b_rgb');
    expect(b.labelMode).toBe('rgb');
    expect(Array.from(b.label)).toEqual(Array.from(handLabel(40, 60, 15)));
    expect(b.label.includes(255)).toBe(true);
    // The image decodes (JPEG, lossy): close to what was written.
    const src = handImage();
    let err = 0;
    for (let i = 0; i < src.length; i++) err += Math.abs(src[i]! - a.image[i]!);
    expect(err / src.length).toBeLessThan(40);
  });

  it('filters out images smaller than the crop, as d2l', async () => {
    const ds = await VOCSegDataset.load({ vocDir: hand, split: 'train', cropSize: [32, 48] });
    expect(ds.ids).toEqual(['a_palette', 'b_rgb']);
    expect(ds.filtered).toEqual([{ id: 'c_small', reason: '30x20 is smaller than the crop 48x32' }]);
  });

  it("fails on a truncated JPEG naming the file, or skips it with a warning under onError: 'skip'", async () => {
    const ds = await VOCSegDataset.load({ vocDir: hand, split: 'val', cropSize: [32, 48] });
    const err = await ds.get(1).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect(err.message).toContain(join(hand, 'JPEGImages', 'd_truncated.jpg'));
    const w = warnings();
    const skip = await VOCSegDataset.load({
      vocDir: hand,
      split: 'val',
      cropSize: [32, 48],
      onError: 'skip',
      warn: w.warn,
    });
    const item = await skip.get(1); // replaced by the next readable example (a_palette)
    expect(w.messages).toHaveLength(1);
    expect(w.messages[0]).toContain('d_truncated.jpg');
    expect(item.label.shape).toEqual([32, 48]);
    tf.dispose([item.image, item.label]);
  });

  it('rejects label values outside the classes, naming the file, value and pixel', async () => {
    const ds = await VOCSegDataset.load({ vocDir: hand, split: 'bad', cropSize: [32, 48] });
    const err = await ds.get(0).catch((e) => e);
    expect(err.message).toContain('e_badvalue.png');
    expect(err.message).toContain('value 40 at x=5, y=0');
  });

  it('names a missing list and says what a VOCdevkit holds', async () => {
    const err = await VOCSegDataset.load({ vocDir: join(hand, 'nope'), cropSize: [32, 48] }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect(err.message).toContain(join(hand, 'nope', 'ImageSets/Segmentation/train.txt'));
    expect(err.message).toContain('JPEGImages/<id>.jpg');
  });
});

for (const backend of await testBackends()) {
  describe(`cropNormalize (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));
    it('equals slice + normalize of @cv/core, without leaks', async () => {
      const d = { width: 60, image: handImage(), label: handLabel() };
      const rect = { top: 3, left: 7, height: 20, width: 30 };
      const out = await expectNoLeaks(() => cropNormalize(d, rect));
      const ref = tf.tidy(() => {
        const img = tf.tensor3d(Int32Array.from(d.image), [40, 60, 3], 'int32').slice([3, 7, 0], [20, 30, 3]);
        return tf.div(
          tf.sub(tf.div(img.cast('float32'), 255), tf.tensor1d([...IMAGENET_MEAN])),
          tf.tensor1d([...IMAGENET_STD]),
        );
      });
      expectClose(out.image, ref, { rtol: 1e-5, atol: 1e-5 });
      const lab = tf.tensor2d(Int32Array.from(d.label), [40, 60], 'int32').slice([3, 7], [20, 30]);
      expectClose(out.label, lab);
      tf.dispose([out.image, out.label, ref, lab]);
    });
  });
}

it('readImage agrees with the dataset decode', async () => {
  await initBackend('cpu', { log: false });
  const t = await readImage(join(hand, 'JPEGImages', 'a_palette.jpg'));
  const a = await readVocSegExample(hand, 'a_palette');
  expect(Array.from(t.dataSync())).toEqual(Array.from(a.image));
  t.dispose();
});
