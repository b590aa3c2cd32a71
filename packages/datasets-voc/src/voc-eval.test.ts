import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Detection, vocAp, vocEvalClass, vocEvaluate } from './index.node.js';

interface Case {
  name: string;
  plusOne: boolean;
  classes: string[];
  imageIds: string[];
  annotations: Record<string, { name: string; bbox: number[]; difficult: number }[]>;
  detections: Record<string, [string, number, number, number, number, number][]>;
  result: Record<string, { ap: number; recall: number[]; precision: number[] }>;
}

// Made by fixtures/voc_eval_reference.py (a transcription of py-faster-rcnn's voc_eval.py).
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/voc_eval_reference.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string) {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `${what}[${i}]`).toBeLessThan(1e-12);
}

describe('vocEvalClass against voc_eval.py', () => {
  for (const c of fixture.cases) {
    for (const cls of c.classes) {
      for (const use07 of [true, false]) {
        it(`${c.name} boxes, class ${cls}, ${use07 ? '11-point (VOC07)' : 'all-point'} AP`, () => {
          const gt = new Map(
            c.imageIds.map((id) => {
              const objs = c.annotations[id]!.filter((o) => o.name === cls);
              return [id, { boxes: objs.map((o) => o.bbox), difficult: objs.map((o) => o.difficult === 1) }];
            }),
          );
          const dets: Detection[] = c.detections[cls]!.map(([imageId, score, ...box]) => ({
            imageId,
            score,
            box,
          }));
          const r = vocEvalClass(dets, gt, { use07Metric: use07, plusOne: c.plusOne });
          const ref = c.result[`${cls}/${use07 ? '07' : 'all'}`]!;
          expect(Math.abs(r.ap - ref.ap)).toBeLessThan(1e-12);
          close(r.recall, ref.recall, 'recall');
          close(r.precision, ref.precision, 'precision');
        });
      }
    }
  }

  it('vocEvaluate gives the per-class APs and their mean', () => {
    const c = fixture.cases[0]!;
    const annotations = c.imageIds.map((id) => ({
      imageId: id,
      objects: c.annotations[id]!.map((o) => ({
        cls: c.classes.indexOf(o.name),
        box: o.bbox,
        difficult: o.difficult === 1,
      })),
    }));
    const dets = c.classes.flatMap((cls, k) =>
      c.detections[cls]!.map(([imageId, score, ...box]) => ({ imageId, score, box, cls: k })),
    );
    const r = vocEvaluate(dets, annotations, 3, { use07Metric: true });
    const ref = c.classes.map((cls) => c.result[`${cls}/07`]!.ap);
    for (const [i, v] of r.ap.entries()) expect(Math.abs(v - ref[i]!)).toBeLessThan(1e-12);
    expect(Math.abs(r.mAP - ref.reduce((s, v) => s + v, 0) / 3)).toBeLessThan(1e-12);
  });
});

describe('vocAp', () => {
  it('perfect detection gives 1 with both metrics; none gives 0', () => {
    expect(vocAp([0.5, 1], [1, 1], true)).toBeCloseTo(1, 12);
    expect(vocAp([0.5, 1], [1, 1], false)).toBeCloseTo(1, 12);
    expect(vocAp([], [], true)).toBe(0);
  });

  it('hand-computed example: one hit of two, ranked second', () => {
    // detections: miss (p=0), hit (recall 0.5, precision 0.5)
    // 11-point: t=0..0.5 → 0.5 (6 points), t=0.6..1 → 0 → 6 · 0.5 / 11
    expect(vocAp([0, 0.5], [0, 0.5], true)).toBeCloseTo((6 * 0.5) / 11, 12);
    // all-point: envelope 0.5 up to recall 0.5 → 0.25
    expect(vocAp([0, 0.5], [0, 0.5], false)).toBeCloseTo(0.25, 12);
  });

  it('a class without ground truth has AP NaN and is left out of the mean', () => {
    const r = vocEvaluate(
      [{ imageId: 'a', score: 1, box: [0, 0, 1, 1], cls: 1 }],
      [{ imageId: 'a', objects: [{ cls: 0, box: [0, 0, 1, 1] }] }],
      2,
      { plusOne: false },
    );
    expect(r.ap[0]).toBe(0);
    expect(Number.isNaN(r.ap[1])).toBe(true);
    expect(r.mAP).toBe(0);
  });

  it('validates its inputs with clear errors', () => {
    expect(() => vocEvalClass([{ imageId: 'a', score: 1, box: [0, 0, 1] }], {})).toThrow('detections[0]');
    expect(() => vocAp([1], [])).toThrow('recall has 1 values but precision 0');
  });
});
