import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RoIAlign, roiAlign } from './roi-align.js';
import { fixtures } from './test-utils/fixtures.js';
import { PATHS, usePath } from './test-utils/paths.js';
import { randomRois, refRoIAlign, rng } from './test-utils/reference.js';

// Golden values: fixtures/make_fixtures.py (torchvision.ops.roi_align, forward and backward with a random dy).
const alignRuns = fixtures.cases.flatMap((c) =>
  c.runs
    .filter((r) => r.op === 'roi_align')
    .map((r) => ({ name: `${c.name} sr ${r.params.samplingRatio} aligned ${r.params.aligned}`, c, r })),
);

function weighted(f: (x: tf.Tensor4D) => tf.Tensor, dy: tf.Tensor) {
  return (x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor4D), dy));
}

for (const backend of await testBackends()) {
  for (const path of PATHS) {
    describe(`roiAlign (${backend}, ${path})`, () => {
      beforeAll(() => {
        usePath(path);
        return initBackend(backend, { log: false });
      });

      it('the fixtures cover both aligned settings and sampling ratios -1, 1, 2, 3', () => {
        const seen = new Set(alignRuns.map(({ r }) => `${r.params.samplingRatio}/${r.params.aligned}`));
        for (const s of ['-1/false', '-1/true', '1/false', '2/true', '2/false', '3/true'])
          expect(seen).toContain(s);
      });

      it.each(alignRuns.map(({ name, c, r }) => [name, c, r] as const))(
        'matches torchvision forward and backward: %s',
        (name, c, r) => {
          tf.tidy(() => {
            const x = tf.tensor4d(c.features, c.featuresShape);
            const dy = tf.tensor(r.dy, r.outShape);
            const f = (t: tf.Tensor4D) => roiAlign(t, c.rois, r.params.outputSize, r.params);
            expectClose(f(x), tf.tensor(r.out, r.outShape), { atol: 1e-5, rtol: 1e-5, what: `${name} out` });
            const dx = tf.grad(weighted(f, dy))(x);
            expectClose(dx, tf.tensor(r.dx, c.featuresShape), { atol: 1e-5, rtol: 1e-5, what: `${name} dx` });
          });
        },
      );

      it('matches the naive reference on random maps and boxes, every setting', () => {
        const rand = rng(11);
        const maps = [
          [2, 9, 13, 3, 0.5, 3, 2],
          [1, 17, 11, 2, 0.25, 7, 7],
          [3, 6, 6, 4, 1, 2, 5],
          [1, 40, 33, 2, 1 / 16, 7, 7],
        ] as const;
        for (const [N, H, W, C, scale, ph, pw] of maps) {
          const x = new Float32Array(N * H * W * C).map(() => rand() * 2 - 1);
          const rois = randomRois(rand, 20, N, H, W, scale);
          const dyv = new Float32Array(rois.length * ph * pw * C).map(() => rand() - 0.5);
          for (const samplingRatio of [-1, 0, 1, 2, 4]) {
            for (const aligned of [false, true]) {
              const ref = refRoIAlign(x, { N, H, W, C }, rois, ph, pw, scale, samplingRatio, aligned, dyv);
              tf.tidy(() => {
                const xt = tf.tensor4d(x, [N, H, W, C]);
                const dy = tf.tensor4d(dyv, [rois.length, ph, pw, C]);
                const f = (t: tf.Tensor4D) =>
                  roiAlign(t, rois, [ph, pw], { spatialScale: scale, samplingRatio, aligned });
                const what = `${N}x${H}x${W}x${C} sr ${samplingRatio} aligned ${aligned}`;
                const out = tf.tensor4d(Float32Array.from(ref.out), [rois.length, ph, pw, C]);
                expectClose(f(xt), out, { atol: 1e-5, what: `${what} out` });
                const dx = tf.tensor4d(Float32Array.from(ref.dx), [N, H, W, C]);
                expectClose(tf.grad(weighted(f, dy))(xt), dx, { atol: 1e-5, what: `${what} dx` });
              });
            }
          }
        }
      });

      it('samples within one cell outside the map at the edge and beyond it as 0', () => {
        tf.tidy(() => {
          const ones = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
          // One sample per bin at its centre: x = -0.75 and -0.25, both in the band [-1, 0] that takes the edge.
          const y = roiAlign(ones, [[0, -1, 1, 0, 2]], [1, 2], { samplingRatio: 1, aligned: false });
          expect(Array.from(y.dataSync())).toEqual([1, 1]);
          // aligned shifts by -0.5: x from -2 to 0, centres -1.5 (beyond one cell: 0) and -0.5 (edge: 1).
          const z = roiAlign(ones, [[0, -1.5, 1, 0.5, 2]], [1, 2], { samplingRatio: 1, aligned: true });
          expect(Array.from(z.dataSync())).toEqual([0, 1]);
        });
      });

      it('passes a finite-difference gradient check', () => {
        const rand = rng(5);
        const rois = [
          [0, 0.3, 0.7, 8.2, 9.9],
          [1, 2.5, 1.25, 6, 5.5],
          [1, -3.2, -2.1, 4.4, 3.3],
          [0, 7.9, 8.1, 15, 14],
        ];
        for (const [samplingRatio, aligned] of [
          [2, false],
          [-1, true],
        ] as const) {
          tf.tidy(() => {
            const x = tf.tensor4d(
              Array.from({ length: 2 * 6 * 5 * 2 }, () => rand() * 2 - 1),
              [2, 6, 5, 2],
            );
            const dy = tf.tensor4d(
              Array.from({ length: 4 * 3 * 2 * 2 }, () => rand() - 0.5),
              [4, 3, 2, 2],
            );
            const f = (t: tf.Tensor4D) => roiAlign(t, rois, [3, 2], { samplingRatio, aligned });
            const report = gradCheck(weighted(f, dy), [x], { what: `roiAlign sr ${samplingRatio}` });
            expect(report.checked).toBe(2 * 6 * 5 * 2);
            expect(report.maxAbsError).toBeLessThan(1e-3);
          });
        }
      });

      it('leaks no tensor (forward and gradient)', async () => {
        const x = tf.randomNormal([2, 10, 9, 3]) as tf.Tensor4D;
        const rois = tf.tensor2d([
          [0, 0, 0, 8, 9],
          [1, 2, 3, 40, 40],
          [1, -5, -5, -1, -1],
        ]);
        const f = (t: tf.Tensor4D) => roiAlign(t, rois, 3, { spatialScale: 0.5, samplingRatio: 2 });
        await expectNoLeaks(() => f(x), { what: 'roiAlign' });
        await expectNoLeaks(() => tf.grad((t) => tf.sum(f(t as tf.Tensor4D)))(x), {
          what: 'roiAlign gradient',
        });
        tf.dispose([x, rois]);
      });

      it('takes RoIs as a tensor or arrays, and no RoI at all', () => {
        tf.tidy(() => {
          const x = tf.randomNormal([2, 5, 5, 3]) as tf.Tensor4D;
          const rois = [
            [1, 0, 0, 4, 4],
            [0, 1, 2, 3, 4],
          ];
          expectClose(roiAlign(x, tf.tensor2d(rois), 2), roiAlign(x, rois, 2));
          expect(roiAlign(x, [], [3, 2]).shape).toEqual([0, 3, 2, 3]);
          const g = tf.grad((t) => tf.sum(roiAlign(t as tf.Tensor4D, [], 2)))(x);
          expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
        });
      });

      it('RoIAlign module equals the function', () => {
        tf.tidy(() => {
          const x = tf.randomNormal([1, 8, 8, 2]) as tf.Tensor4D;
          const rois = [[0, 3, 4, 30, 25]];
          const options = { spatialScale: 0.25, samplingRatio: 2, aligned: true };
          const m = new RoIAlign([2, 3], options);
          expectClose(m.apply(x, rois), roiAlign(x, rois, [2, 3], options));
          expect(m.toString()).toBe(
            'RoIAlign(output_size=(2, 3), spatial_scale=0.25, sampling_ratio=2, aligned=true)',
          );
          expect(new RoIAlign(7).extraRepr()).toBe(
            'output_size=(7, 7), spatial_scale=1, sampling_ratio=-1, aligned=false',
          );
        });
      });
    });
  }
}

describe('roiAlign input errors', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  const x = () => tf.zeros([2, 4, 4, 1]) as tf.Tensor4D;

  it('names rois of the wrong shape, a batch index out of range, non-finite coordinates', () => {
    expect(() => roiAlign(x(), [[0, 1, 2, 3]], 2)).toThrow(/roiAlign: rois must have shape \[K, 5\]/);
    expect(() =>
      roiAlign(
        x(),
        [
          [0, 0, 0, 1, 1],
          [3, 0, 0, 1, 1],
        ],
        2,
      ),
    ).toThrow(/roiAlign: rois\[1\]\[0\] \(batch index\) must be an integer in \[0, 2\).*got 3/);
    expect(() => roiAlign(x(), [[0, 0, 0, Number.POSITIVE_INFINITY, 1]], 2)).toThrow(
      /roiAlign: rois\[0\]\[3\] \(x2\) must be finite, got Infinity/,
    );
  });

  it('names an output size < 1 and bad options', () => {
    expect(() => roiAlign(x(), [], [0, 1])).toThrow(/roiAlign: outputSize must be an integer ≥ 1.*\[0, 1\]/);
    expect(() => roiAlign(x(), [], 2, { spatialScale: -1 })).toThrow(/roiAlign: spatialScale.*-1/);
    expect(() => roiAlign(x(), [], 2, { samplingRatio: 1.5 })).toThrow(
      /roiAlign: samplingRatio must be an integer.*1.5/,
    );
    expect(() => roiAlign(x(), [], 2, { aligned: 1 as never })).toThrow(
      /roiAlign: aligned must be a boolean/,
    );
    expect(() => new RoIAlign([1, 2, 3] as never)).toThrow(/RoIAlign: outputSize/);
  });

  it('names features that are not float32 NHWC', () => {
    expect(() => roiAlign(tf.zeros([1, 4, 4]) as never, [], 2)).toThrow(
      /roiAlign: features must have rank 4/,
    );
  });
});
