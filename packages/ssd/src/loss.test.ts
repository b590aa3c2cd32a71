import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { calcLoss, hardNegativeMask } from './loss.js';
import { bboxEval, classEval } from './metrics.js';

const B = 2;
const N = 5;
const C = 3;
const logits = Array.from({ length: B * N * C }, (_, i) => Math.sin(i * 1.7) * 2);
const labels = [0, 1, 0, 2, 0, 0, 0, 0, 1, 0];
const preds = Array.from({ length: B * 4 * N }, (_, i) => Math.cos(i * 0.9) * 1.5);
const targets = Array.from({ length: B * 4 * N }, (_, i) => Math.sin(i * 0.4) * 2);
const masks = Array.from({ length: B * 4 * N }, (_, i) => (labels[Math.floor(i / 4)]! > 0 ? 1 : 0));

/** A naive reference of the seed's calc_loss and the options, on plain arrays. */
function naive(opts: { ratio?: number; smooth?: boolean; positives?: boolean } = {}): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const ce: number[] = [];
    for (let n = 0; n < N; n++) {
      const row = logits.slice((b * N + n) * C, (b * N + n + 1) * C);
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
      ce.push(lse - row[labels[b * N + n]!]!);
    }
    let cls: number;
    if (opts.ratio === undefined) cls = ce.reduce((s, v) => s + v, 0) / N;
    else {
      const pos = labels.slice(b * N, (b + 1) * N).map((l) => l > 0);
      const npos = pos.filter(Boolean).length;
      const negs = ce
        .map((v, i) => [v, i] as const)
        .filter(([, i]) => !pos[i])
        .sort((p, q) => q[0] - p[0] || p[1] - q[1]);
      const k = Math.min(negs.length, Math.ceil(opts.ratio * Math.max(1, npos)));
      const chosen = [...ce.filter((_, i) => pos[i]), ...negs.slice(0, k).map(([v]) => v)];
      cls = chosen.reduce((s, v) => s + v, 0) / chosen.length;
    }
    let box = 0;
    let cnt = 0;
    for (let j = 0; j < 4 * N; j++) {
      const i = b * 4 * N + j;
      const d = preds[i]! * masks[i]! - targets[i]! * masks[i]!;
      const a = Math.abs(d);
      box += opts.smooth ? (a < 1 ? 0.5 * d * d : a - 0.5) : a;
      cnt += masks[i]!;
    }
    out.push(cls + (opts.positives ? box / Math.max(cnt, 1) : box / (4 * N)));
  }
  return out;
}

for (const backend of await testBackends()) {
  describe(`calcLoss and metrics (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));
    const inputs = () =>
      [
        tf.tensor3d(logits, [B, N, C]),
        tf.tensor2d(labels, [B, N], 'int32'),
        tf.tensor2d(preds, [B, 4 * N]),
        tf.tensor2d(targets, [B, 4 * N]),
        tf.tensor2d(masks, [B, 4 * N]),
      ] as const;

    it("equals the seed's calc_loss (cross entropy mean + masked L1 mean), per image", async () => {
      const t = inputs();
      const l = await expectNoLeaks(() => calcLoss(...t), { what: 'calcLoss' });
      expect(l.shape).toEqual([B]);
      expectClose(l, naive(), { rtol: 1e-5, atol: 1e-6 });
      tf.dispose([l, ...t] as tf.Tensor[]);
    });

    it('implements hard-negative mining, smooth L1 and normalisation by positives', () => {
      const t = inputs();
      expectClose(calcLoss(...t, { hardNegativeRatio: 1 }), naive({ ratio: 1 }), {
        rtol: 1e-5,
        atol: 1e-6,
        what: 'hnm 1',
      });
      expectClose(calcLoss(...t, { hardNegativeRatio: 3 }), naive({ ratio: 3 }), {
        rtol: 1e-5,
        atol: 1e-6,
        what: 'hnm 3',
      });
      expectClose(calcLoss(...t, { bboxLoss: 'smoothL1' }), naive({ smooth: true }), {
        rtol: 1e-5,
        atol: 1e-6,
        what: 'smooth',
      });
      expectClose(calcLoss(...t, { bboxNormalization: 'positives' }), naive({ positives: true }), {
        rtol: 1e-5,
        atol: 1e-6,
        what: 'pos',
      });
      tf.dispose([...t] as tf.Tensor[]);
    });

    it('has correct gradients (finite differences), with and without the options', () => {
      const [cp, cl, bp, bl, bm] = inputs();
      for (const opts of [{}, { hardNegativeRatio: 2, bboxLoss: 'smoothL1' as const }]) {
        gradCheck((a, b) => tf.sum(calcLoss(a!, cl, b!, bl, bm, opts)), [cp, bp], {
          what: JSON.stringify(opts),
        });
      }
      tf.dispose([cp, cl, bp, bl, bm]);
    });

    it("classEval and bboxEval equal d2l's cls_eval and bbox_eval", () => {
      const [cp, cl, bp, bl, bm] = inputs();
      let correct = 0;
      for (let i = 0; i < B * N; i++) {
        const row = logits.slice(i * C, (i + 1) * C);
        if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
      }
      expect(classEval(cp, cl)).toBe(correct);
      const abs = preds.reduce((s, p, i) => s + Math.abs((targets[i]! - p) * masks[i]!), 0);
      expect(bboxEval(bp, bl, bm)).toBeCloseTo(abs, 4);
      tf.dispose([cp, cl, bp, bl, bm]);
    });

    it('rejects bad shapes and options with the argument named', () => {
      const [cp, cl, bp, bl, bm] = inputs();
      expect(() => calcLoss(cp, cl, tf.zeros([B, 3]), bl, bm)).toThrow(
        /calcLoss: bboxPreds must have shape \[B, 4N\] = \[2, 20\]/,
      );
      expect(() => calcLoss(cp, cl, bp, bl, bm, { hardNegativeRatio: 0 })).toThrow(/hardNegativeRatio/);
      tf.dispose([cp, cl, bp, bl, bm]);
    });
  });
}

describe('hardNegativeMask', () => {
  it('keeps positives and the top ratio·positives negatives (at least ratio with none), ties by index', () => {
    const ce = Float32Array.from([0.1, 0.9, 0.5, 0.5, 0.2, 0.3, 0.3, 0.1]);
    const lab = Int32Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(hardNegativeMask(ce, lab, 2, 4, 2))).toEqual([1, 1, 1, 0, 0, 1, 1, 0]);
  });
});
