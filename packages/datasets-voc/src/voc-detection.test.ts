import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { multiboxPrior, multiboxTarget } from '@cv/anchors';
import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetFileError,
  loadDataVocDetection,
  normalizeVocBox,
  padLabels,
  parseVocAnnotation,
  synthesizeVoc,
  VOC_DETECTION_CLASSES,
  VOCDetection,
  vocEvaluate,
} from './index.node.js';
import { writeHandMadeTree } from './test-utils/hand-made-tree.js';
import { tempDir, warnings } from './test-utils/helpers.js';

let gen: string;
let hand: string;

beforeAll(async () => {
  await initBackend('cpu', { log: false });
  gen = (await synthesizeVoc(await tempDir('det'), { train: 5, val: 3, size: [64, 96], seed: 4 })).vocDir;
  hand = await writeHandMadeTree(await tempDir('det-hand'));
});

describe('parseVocAnnotation', () => {
  it('reads several objects with difficult and truncated flags', async () => {
    const where = join(hand, 'Annotations', 'a_palette.xml');
    const a = parseVocAnnotation(await readFile(where, 'utf8'), where);
    expect(a).toMatchObject({ filename: 'a_palette.jpg', width: 60, height: 40 });
    expect(a.objects).toEqual([
      { name: 'cat', cls: 7, difficult: false, truncated: false, bndbox: [21, 11, 45, 30] },
      { name: 'person', cls: 14, difficult: true, truncated: true, bndbox: [1, 1, 10, 40] },
    ]);
    expect(VOC_DETECTION_CLASSES[7]).toBe('cat');
  });

  it('rejects bad XML, unknown classes and boxes outside the image, naming the file', () => {
    expect(() => parseVocAnnotation('<annotation><size>', 'x.xml')).toThrow(/annotation x\.xml: invalid XML/);
    const xml = (name: string, box: number[]) =>
      `<annotation><size><width>10</width><height>10</height></size><object><name>${name}</name><bndbox><xmin>${box[0]}</xmin><ymin>${box[1]}</ymin><xmax>${box[2]}</xmax><ymax>${box[3]}</ymax></bndbox></object></annotation>`;
    expect(() => parseVocAnnotation(xml('banana', [1, 1, 2, 2]), 'y.xml')).toThrow(
      /y\.xml: object 0 has the class 'banana'/,
    );
    expect(() => parseVocAnnotation(xml('cat', [1, 1, 20, 2]), 'z.xml')).toThrow(/outside the 10x10 image/);
    expect(() => parseVocAnnotation('<annotation></annotation>', 'w.xml')).toThrow(/no <size>/);
  });
});

describe('VOCDetection', () => {
  it('labels rows (class, normalized corners) matching the generated XML; difficult dropped by default', async () => {
    const ds = await VOCDetection.load({ vocDir: gen, split: 'train', keepDifficult: true });
    expect(ds.length).toBe(5);
    const where = join(gen, 'Annotations', `${ds.ids[0]}.xml`);
    const ann = parseVocAnnotation(await readFile(where, 'utf8'), where);
    const item = await ds.get(0);
    expect(item.image.shape).toEqual([64, 96, 3]);
    expectClose(
      item.label,
      ann.objects.map((o) => [o.cls, ...normalizeVocBox(o.bndbox, 96, 64)]),
    );
    tf.dispose([item.image, item.label]);
    const handDs = await VOCDetection.load({ vocDir: hand, split: 'val' });
    expect(Array.from(handDs.labelRows(0))).toEqual([7, 20 / 60, 10 / 40, 45 / 60, 30 / 40].map(Math.fround));
  });

  it('fails on a bad XML naming it, or skips it with a warning', async () => {
    const err = await VOCDetection.load({ vocDir: hand, split: 'train' }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect(err.message).toContain(join(hand, 'Annotations', 'b_rgb.xml'));
    const w = warnings();
    const ds = await VOCDetection.load({ vocDir: hand, split: 'train', onError: 'skip', warn: w.warn });
    expect(ds.ids).toEqual(['a_palette']);
    expect(w.messages[0]).toContain('b_rgb.xml');
  });

  it('fails on a truncated JPEG naming it', async () => {
    const ds = await VOCDetection.load({ vocDir: hand, split: 'val' });
    const err = await ds.get(1).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect(err.message).toContain('d_truncated.jpg');
  });

  it('batches resized images with labels padded by -1 rows that multiboxTarget accepts', async () => {
    const [train] = await loadDataVocDetection(3, [32, 32], { vocDir: gen, keepDifficult: true });
    const batch = (await train.iterate(0).next()).value!;
    expect(batch.images.shape).toEqual([3, 32, 32, 3]);
    const [b, m] = batch.labels.shape;
    expect(b).toBe(3);
    const rows = (await batch.labels.array()).flat();
    expect(rows.some((r) => r[0] === -1) || rows.length === 3 * m).toBe(true);
    const anchors = multiboxPrior(tf.zeros([1, 4, 4, 3]), [0.3, 0.5], [1, 2]);
    const t = multiboxTarget(anchors, batch.labels);
    expect(t.classLabels.shape).toEqual([3, 4 * 4 * 3]);
    tf.dispose([batch.images, batch.labels, anchors, t.bboxMask, t.bboxOffset, t.classLabels]);
  });

  it('evaluates ground truth against itself to mAP 1', async () => {
    const ds = await VOCDetection.load({ vocDir: gen, split: 'train' });
    const targets = ds.evaluationTargets();
    const dets = targets.flatMap((a) =>
      a.objects
        .filter((o) => !o.difficult)
        .map((o, k) => ({ imageId: a.imageId, cls: o.cls, box: o.box, score: 1 - k * 0.01 })),
    );
    const r = vocEvaluate(dets, targets, 20);
    expect(r.mAP).toBeCloseTo(1, 12);
  });
});

for (const backend of await testBackends()) {
  describe(`padLabels (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));
    it('pads to the largest count with rows of -1, without leaks', async () => {
      const a = tf.tensor2d([[0, 0.1, 0.1, 0.5, 0.5]]);
      const b = tf.tensor2d([
        [1, 0.2, 0.2, 0.4, 0.4],
        [2, 0.3, 0.3, 0.9, 0.9],
      ]);
      const c = tf.zeros([0, 5]) as tf.Tensor2D;
      const out = await expectNoLeaks(() => padLabels([a, b, c]));
      expectClose(out, [
        [
          [0, 0.1, 0.1, 0.5, 0.5],
          [-1, -1, -1, -1, -1],
        ],
        [
          [1, 0.2, 0.2, 0.4, 0.4],
          [2, 0.3, 0.3, 0.9, 0.9],
        ],
        [
          [-1, -1, -1, -1, -1],
          [-1, -1, -1, -1, -1],
        ],
      ]);
      expect(() => padLabels([tf.zeros([2, 4]) as tf.Tensor2D])).toThrow(
        'padLabels: labels[0] must be [M, 5]',
      );
      tf.dispose([a, b, c, out]);
    });
  });
}
