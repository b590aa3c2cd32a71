import { initBackend, Rng } from '@cv/core';
import { expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { golden } from './golden-fixture.js';
import { nms } from './nms.js';
import { sortByScoreDesc } from './nms-core.js';

/** torchvision's C++ loop (and d2l's), transcribed: O(N²), float32 IoU, stable order. */
function naiveNms(boxes: number[][], scores: number[], thr: number, d2l = false): number[] {
  const f = Math.fround;
  const order = scores.map((s, i) => [f(s), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const area = (b: number[]) => f(f(b[2]! - b[0]!) * f(b[3]! - b[1]!));
  const suppressed = new Array<boolean>(boxes.length).fill(false);
  const keep: number[] = [];
  for (let p = 0; p < order.length; p++) {
    const i = order[p]![1];
    if (suppressed[i]) continue;
    keep.push(i);
    const a = boxes[i]!;
    for (let q = p + 1; q < order.length; q++) {
      const j = order[q]![1];
      if (suppressed[j]) continue;
      const b = boxes[j]!;
      const w = Math.max(0, f(Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!)));
      const h = Math.max(0, f(Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!)));
      const inter = f(w * h);
      const iou = f(inter / f(f(area(a) + area(b)) - inter));
      if (d2l ? !(iou <= f(thr)) : iou > thr) suppressed[j] = true;
    }
  }
  return keep;
}

function randomBoxes(rng: Rng, n: number, maxSide: number, degenerate = 0): number[][] {
  return Array.from({ length: n }, () => {
    const x = rng.next() * 1.2 - 0.1;
    const y = rng.next() * 1.2 - 0.1;
    const w = rng.next() < degenerate ? 0 : rng.next() * maxSide;
    const h = rng.next() < degenerate ? 0 : rng.next() * maxSide;
    return [x, y, x + w, y + h].map(Math.fround);
  });
}

for (const backend of await testBackends()) {
  describe(`nms (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of golden.nms) {
      const input = golden.inputs[c.input]!;
      it(`equals torchvision.ops.nms and d2l nms: ${c.name}`, async () => {
        const boxes = tf.tensor2d(input.boxes, [input.boxes.length, 4]);
        const scores = tf.tensor1d(input.scores);
        const tv = await expectNoLeaks(() => nms(boxes, scores, c.iouThreshold));
        const d2l = nms(boxes, scores, c.iouThreshold, { semantics: 'd2l' });
        expect(tv.dtype).toBe('int32');
        if (c.torchvision) expect(Array.from(tv.dataSync())).toEqual(c.torchvision);
        expect(Array.from(d2l.dataSync())).toEqual(c.d2l);
        tf.dispose([boxes, scores, tv, d2l]);
      });
    }

    it('equals the O(N²) loop on random inputs (grid pruning, degenerate boxes, ties, thresholds)', () => {
      const rng = new Rng(3);
      for (let trial = 0; trial < 45; trial++) {
        const n = [1, 5, 60, 400, 1500][trial % 5]!;
        const boxes = randomBoxes(rng, n, [0.05, 0.3, 1][trial % 3]!, trial % 5 === 0 ? 0.2 : 0);
        const scores = Array.from({ length: n }, () =>
          trial % 2 ? Math.round(rng.next() * 5) / 5 : rng.next(),
        );
        const thr = [0.5, 0.3, 0.7, 0, -0.1, 1, 0.1, 0.45, 0.9][trial % 9]!;
        const b = tf.tensor2d(boxes.flat(), [n, 4]);
        const s = tf.tensor1d(scores);
        for (const d2l of [false, true]) {
          const r = nms(b, s, thr, { semantics: d2l ? 'd2l' : 'torchvision' });
          expect(Array.from(r.dataSync()), `trial ${trial} thr ${thr} d2l ${d2l}`).toEqual(
            naiveNms(boxes, scores, thr, d2l),
          );
          r.dispose();
        }
        tf.dispose([b, s]);
      }
    });

    it('no boxes: no indices; only zero-area boxes: torchvision keeps all, d2l the first', () => {
      const b = tf.zeros([0, 4]) as tf.Tensor2D;
      const s = tf.zeros([0]) as tf.Tensor1D;
      const r = nms(b, s, 0.5);
      expect(r.shape).toEqual([0]);
      const z = tf.tensor2d([
        [0.1, 0.1, 0.1, 0.5],
        [0.6, 0.2, 0.9, 0.2],
        [0.3, 0.3, 0.3, 0.3],
      ]);
      const zs = tf.tensor1d([0.2, 0.9, 0.5]);
      const tv = nms(z, zs, 0.5);
      const d2l = nms(z, zs, 0.5, { semantics: 'd2l' });
      expect(Array.from(tv.dataSync())).toEqual([1, 2, 0]);
      expect(Array.from(d2l.dataSync())).toEqual([1]);
      tf.dispose([b, s, r, z, zs, tv, d2l]);
    });

    it('rejects bad input', () => {
      const b = tf.tensor2d([[0, 0, 1, 1]]);
      const s2 = tf.tensor1d([0.5, 0.2]);
      expect(() => nms(b, s2, 0.5)).toThrow('nms: scores [2] must have one score per box (boxes [1, 4])');
      const nan = tf.tensor1d([Number.NaN]);
      expect(() => nms(b, nan, 0.5)).toThrow('nms: scores[0] is not finite: NaN');
      const s = tf.tensor1d([1]);
      expect(() => nms(b, s, 0.5, { semantics: 'x' as 'd2l' })).toThrow(
        "nms: semantics must be 'torchvision' or 'd2l', got 'x'",
      );
      tf.dispose([b, s2, nan, s]);
    });
  });
}

describe('sortByScoreDesc', () => {
  it('is a stable descending sort (−0 ties with 0; negatives and large counts)', () => {
    const s = [0.5, -0, 0.5, -1, 0, 2, -1, 1e-40, -1e-40];
    expect(Array.from(sortByScoreDesc(s))).toEqual([5, 0, 2, 7, 1, 4, 8, 3, 6]);
    const rng = new Rng(1);
    const big = Array.from({ length: 5000 }, () => Math.round(rng.next() * 50) - 25);
    const expected = big.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    expect(Array.from(sortByScoreDesc(big))).toEqual(expected.map((e) => e[1]));
  });
});
