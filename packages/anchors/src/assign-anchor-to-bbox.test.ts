import { initBackend } from '@cv/core';
import { expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { assignAnchorToBbox } from './assign-anchor-to-bbox.js';
import { golden } from './golden-fixture.js';

/** d2l's assign_anchor_to_bbox transcribed literally (full argmax rescans), an independent reference. */
function naiveAssign(gt: number[][], anchors: number[][], thr: number): number[] {
  const n = anchors.length;
  const m = gt.length;
  const f = Math.fround;
  const area = (b: number[]) => f(f(b[2]! - b[0]!) * f(b[3]! - b[1]!));
  const jac = anchors.map((a) =>
    gt.map((g) => {
      const w = Math.max(0, f(Math.min(a[2]!, g[2]!) - Math.max(a[0]!, g[0]!)));
      const h = Math.max(0, f(Math.min(a[3]!, g[3]!) - Math.max(a[1]!, g[1]!)));
      const inter = f(w * h);
      return f(inter / f(f(area(a) + area(g)) - inter));
    }),
  );
  const map = new Array<number>(n).fill(-1);
  jac.forEach((row, i) => {
    if (row.some(Number.isNaN)) return;
    let best = 0;
    row.forEach((v, j) => {
      if (v > row[best]!) best = j;
    });
    if (m && row[best]! >= f(thr)) map[i] = best;
  });
  for (let k = 0; k < m; k++) {
    let flat = 0;
    let bv = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < n * m; t++) {
      const v = jac[Math.floor(t / m)]![t % m]!;
      const key = Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
      if (key > bv) {
        bv = key;
        flat = t;
      }
    }
    const a = Math.floor(flat / m);
    const b = flat % m;
    map[a] = b;
    for (let i = 0; i < n; i++) jac[i]![b] = -1;
    for (let j = 0; j < m; j++) jac[a]![j] = -1;
  }
  return map;
}

for (const backend of await testBackends()) {
  describe(`assignAnchorToBbox (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    for (const c of golden.assign) {
      it(`equals d2l: ${c.name}`, async () => {
        const gt = tf.tensor2d(c.groundTruth, [c.groundTruth.length, 4]);
        const anc = tf.tensor2d(c.anchors);
        const r = await expectNoLeaks(() => assignAnchorToBbox(gt, anc, c.iouThreshold));
        expect(r.dtype).toBe('int32');
        expect(Array.from(r.dataSync())).toEqual(c.expected);
        tf.dispose([gt, anc, r]);
      });
    }

    it('equals the literal d2l loop on random inputs with many ties', () => {
      let seed = 7;
      const rnd = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      // Coordinates on a coarse grid, so IoUs tie often; sometimes zero-area boxes.
      const box = () => {
        const x = Math.floor(rnd() * 4) / 4;
        const y = Math.floor(rnd() * 4) / 4;
        const w = Math.floor(rnd() * 3) / 4;
        const h = Math.floor(rnd() * 3) / 4;
        return [x, y, x + w, y + h];
      };
      for (let trial = 0; trial < 60; trial++) {
        const n = 1 + Math.floor(rnd() * 12);
        const m = Math.floor(rnd() * 8);
        const gt = Array.from({ length: m }, box);
        const anchors = Array.from({ length: n }, box);
        const thr = [0.5, 0.3, 0][trial % 3]!;
        const g = tf.tensor2d(gt.flat(), [m, 4]);
        const a = tf.tensor2d(anchors.flat(), [n, 4]);
        const r = assignAnchorToBbox(g, a, thr);
        expect(Array.from(r.dataSync()), `trial ${trial}`).toEqual(naiveAssign(gt, anchors, thr));
        tf.dispose([g, a, r]);
      }
    });

    it('equals the literal d2l loop on random multi-scale anchors (thresholds 0.1 to 0.9)', () => {
      let seed = 11;
      const rnd = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const box = (size: number) => {
        const w = size * (0.5 + rnd());
        const h = size * (0.5 + rnd());
        const x = rnd() * 1.1 - 0.05;
        const y = rnd() * 1.1 - 0.05;
        return [x, y, x + w, y + h].map(Math.fround);
      };
      for (let trial = 0; trial < 24; trial++) {
        const n = 50 + Math.floor(rnd() * 400);
        const m = 1 + Math.floor(rnd() * 12);
        const anchors = Array.from({ length: n }, () =>
          box([0.05, 0.1, 0.2, 0.4, 0.8][Math.floor(rnd() * 5)]!),
        );
        // Some boxes copy an anchor exactly (IoU 1, ties between duplicates).
        const gt = Array.from({ length: m }, () =>
          rnd() < 0.2 ? anchors[Math.floor(rnd() * n)]! : box(0.05 + rnd() * 0.5),
        );
        const thr = [0.5, 0.3, 0.7, 0.1, 0.9, 0.45][trial % 6]!;
        const g = tf.tensor2d(gt.flat(), [m, 4]);
        const a = tf.tensor2d(anchors.flat(), [n, 4]);
        const r = assignAnchorToBbox(g, a, thr);
        expect(Array.from(r.dataSync()), `trial ${trial}`).toEqual(naiveAssign(gt, anchors, thr));
        tf.dispose([g, a, r]);
      }
    });

    it('no ground truth: every anchor is −1', () => {
      const g = tf.zeros([0, 4]) as tf.Tensor2D;
      const a = tf.tensor2d([
        [0, 0, 1, 1],
        [0, 0, 0.5, 0.5],
      ]);
      const r = assignAnchorToBbox(g, a);
      expect(Array.from(r.dataSync())).toEqual([-1, -1]);
      tf.dispose([g, a, r]);
    });

    it('rejects bad input', () => {
      const g = tf.tensor2d([[0, 0, 1, 1]]);
      const a = tf.tensor2d([[0, 0, 1, 1]]);
      const bad = tf.tensor2d([[0.5, 0.5, 0.4, 1]]);
      expect(() => assignAnchorToBbox(g, tf.zeros([2, 5]) as tf.Tensor2D)).toThrow(
        'assignAnchorToBbox: anchors must have shape [N, 4], got [2, 5]',
      );
      expect(() => assignAnchorToBbox(bad, a)).toThrow('assignAnchorToBbox: groundTruth[0] has x2 < x1');
      expect(() => assignAnchorToBbox(g, a, Number.NaN)).toThrow(
        'assignAnchorToBbox: iouThreshold must be a finite number, got NaN',
      );
      tf.dispose([g, a, bad]);
    });
  });
}
