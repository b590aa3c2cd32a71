import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, gradCheck, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RoIPool, roiPool } from './roi-pool.js';
import { fixtures } from './test-utils/fixtures.js';
import { PATHS, usePath } from './test-utils/paths.js';
import { randomRois, refRoIPool, rng } from './test-utils/reference.js';

// Golden values: fixtures/make_fixtures.py (torchvision.ops.roi_pool, forward and backward with a random dy).
const poolRuns = fixtures.cases.flatMap((c) =>
  c.runs.filter((r) => r.op === 'roi_pool').map((r) => ({ c, r })),
);

/** Sum of roiPool(x)·dy: its gradient with respect to x is the vector-Jacobian product for dy. */
function weighted(f: (x: tf.Tensor4D) => tf.Tensor, dy: tf.Tensor) {
  return (x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor4D), dy));
}

for (const backend of await testBackends()) {
  for (const path of PATHS) {
    describe(`roiPool (${backend}, ${path})`, () => {
      beforeAll(() => {
        usePath(path);
        return initBackend(backend, { log: false });
      });

      it("the seed's example (d2l §8.2) gives the seed's numbers", () => {
        tf.tidy(() => {
          const X = tf.reshape(tf.range(0, 16), [1, 4, 4, 1]) as tf.Tensor4D;
          const rois = [
            [0, 0, 0, 20, 20],
            [0, 0, 10, 30, 30],
          ];
          const y = roiPool(X, rois, [2, 2], 0.1);
          expect(y.shape).toEqual([2, 2, 2, 1]);
          expect(Array.from(y.dataSync())).toEqual([5, 6, 9, 10, 9, 11, 13, 15]);
        });
      });

      it.each(poolRuns.map(({ c, r }) => [c.name, c, r] as const))(
        'matches torchvision forward and backward: %s',
        (_name, c, r) => {
          tf.tidy(() => {
            const x = tf.tensor4d(c.features, c.featuresShape);
            const dy = tf.tensor(r.dy, r.outShape);
            const f = (t: tf.Tensor4D) => roiPool(t, c.rois, r.params.outputSize, r.params.spatialScale);
            expectClose(f(x), tf.tensor(r.out, r.outShape), {
              atol: 1e-5,
              rtol: 1e-5,
              what: `${c.name} out`,
            });
            const dx = tf.grad(weighted(f, dy))(x);
            expectClose(dx, tf.tensor(r.dx, c.featuresShape), {
              atol: 1e-5,
              rtol: 1e-5,
              what: `${c.name} dx`,
            });
          });
        },
      );

      it('matches the naive reference on random maps, boxes and ties (ReLU zeros, small integers)', () => {
        const rand = rng(7);
        for (const [N, H, W, C, scale, ph, pw, kind] of [
          [2, 9, 13, 3, 0.5, 3, 2, 'randn'],
          [1, 17, 11, 2, 0.25, 7, 7, 'relu'],
          [3, 6, 6, 4, 1, 2, 5, 'int'],
          [1, 40, 33, 2, 1 / 16, 7, 7, 'relu'],
        ] as const) {
          const x = new Float32Array(N * H * W * C).map(() => {
            const v = rand() * 2 - 1;
            return kind === 'relu' ? Math.max(v, 0) : kind === 'int' ? Math.round(v * 2) : v;
          });
          const rois = randomRois(rand, 24, N, H, W, scale);
          const dyv = new Float32Array(rois.length * ph * pw * C).map(() => rand() - 0.5);
          const ref = refRoIPool(x, { N, H, W, C }, rois, ph, pw, scale, dyv);
          tf.tidy(() => {
            const xt = tf.tensor4d(x, [N, H, W, C]);
            const dy = tf.tensor4d(dyv, [rois.length, ph, pw, C]);
            const f = (t: tf.Tensor4D) => roiPool(t, rois, [ph, pw], scale);
            const what = `${N}x${H}x${W}x${C} ${kind}`;
            expectClose(f(xt), tf.tensor4d(Float32Array.from(ref.out), [rois.length, ph, pw, C]), {
              what: `${what} out`,
            });
            expectClose(tf.grad(weighted(f, dy))(xt), tf.tensor4d(Float32Array.from(ref.dx), [N, H, W, C]), {
              atol: 1e-5,
              what: `${what} dx`,
            });
          });
        }
      });

      it('pools bins of more than 255 cells (an int32 argmax) and of fewer (a one-byte argmax) alike', () => {
        const rand = rng(5);
        const [N, H, W, C] = [1, 20, 21, 5];
        const x = new Float32Array(N * H * W * C).map(() => Math.max(rand() * 2 - 1, 0));
        const rois = [
          [0, 0, 0, 20, 19],
          [0, 2, 1, 18, 17],
        ];
        for (const [ph, pw] of [
          [1, 1],
          [1, 2],
          [2, 1],
        ] as const) {
          const dyv = new Float32Array(rois.length * ph * pw * C).map(() => rand() - 0.5);
          const ref = refRoIPool(x, { N, H, W, C }, rois, ph, pw, 1, dyv);
          tf.tidy(() => {
            const xt = tf.tensor4d(x, [N, H, W, C]);
            const f = (t: tf.Tensor4D) => roiPool(t, rois, [ph, pw], 1);
            const what = `output ${ph}x${pw}`;
            expectClose(f(xt), tf.tensor4d(Float32Array.from(ref.out), [rois.length, ph, pw, C]), { what });
            const dx = tf.grad(weighted(f, tf.tensor4d(dyv, [rois.length, ph, pw, C])))(xt);
            expectClose(dx, tf.tensor4d(Float32Array.from(ref.dx), [N, H, W, C]), {
              atol: 1e-5,
              what: `${what} dx`,
            });
          });
        }
      });

      it('gives −FLT_MAX and no gradient for a bin of −∞, as torchvision', () => {
        tf.tidy(() => {
          const x = tf.tensor4d([-Infinity, -Infinity, -Infinity, 2], [1, 2, 2, 1]);
          const f = (t: tf.Tensor4D) => roiPool(t, [[0, 0, 0, 1, 1]], [2, 2]);
          expect(Array.from(f(x).dataSync())).toEqual([
            -3.4028234663852886e38, -3.4028234663852886e38, -3.4028234663852886e38, 2,
          ]);
          expect(
            Array.from(
              tf
                .grad((t) => tf.sum(f(t as tf.Tensor4D)))(x)
                .dataSync(),
            ),
          ).toEqual([0, 0, 0, 1]);
        });
      });

      it('sends the gradient to the right elements when rows × channels exceed 2^24 (integer indices)', () => {
        tf.tidy(() => {
          // 8·8 rows × 262145 channels = 16777280 > 2^24 elements: the element index is computed in int32.
          const C = 262145;
          const x = tf.randomNormal([1, 8, 8, C]) as tf.Tensor4D;
          const rois = [[0, 5, 6, 6, 7]]; // cells x 5..6, y 6..7; output 2x1: bins of 1x2 cells
          const g = tf.grad((t) => tf.sum(roiPool(t as tf.Tensor4D, rois, [2, 1])))(x);
          // Compare a few channels with the same pooling on a small slice (the float32 index path).
          for (const c of [0, 1, 4097, C - 1]) {
            const xs = tf.slice(x, [0, 0, 0, c], [1, 8, 8, 1]) as tf.Tensor4D;
            const gs = tf.grad((t) => tf.sum(roiPool(t as tf.Tensor4D, rois, [2, 1])))(xs);
            expectClose(tf.slice(g, [0, 0, 0, c], [1, 8, 8, 1]), gs, { what: `channel ${c}` });
          }
          expect(tf.sum(g).dataSync()[0]).toBe(2 * C);
        });
      });

      it('passes a finite-difference gradient check', () => {
        const rand = rng(3);
        // Distinct, well separated values: no maximum changes within ±eps.
        const n = 2 * 6 * 5 * 2;
        const values = Array.from({ length: n }, (_, i) => i * 0.1);
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [values[i], values[j]] = [values[j]!, values[i]!];
        }
        const rois = [
          [0, 0, 0, 9, 11],
          [1, 2, 1, 6, 8],
          [1, -3, -2, 4, 3],
          [0, 8, 10, 20, 20],
        ];
        tf.tidy(() => {
          const x = tf.tensor4d(values, [2, 6, 5, 2]);
          const dy = tf.tensor4d(
            Array.from({ length: 4 * 3 * 2 * 2 }, () => rand() - 0.5),
            [4, 3, 2, 2],
          );
          // eps 1e-2 < half the spacing of the values; float32 sums limit the numeric side to ~1e-4.
          const report = gradCheck(
            weighted((t) => roiPool(t, rois, [3, 2], 1), dy),
            [x],
            {
              eps: 1e-2,
              atol: 1e-3,
              rtol: 1e-2,
              what: 'roiPool',
            },
          );
          expect(report.checked).toBe(n);
        });
      });

      it('leaks no tensor (forward and gradient)', async () => {
        const x = tf.randomNormal([2, 10, 9, 3]) as tf.Tensor4D;
        const rois = tf.tensor2d([
          [0, 0, 0, 8, 9],
          [1, 2, 3, 40, 40],
          [1, -5, -5, -1, -1],
        ]);
        await expectNoLeaks(() => roiPool(x, rois, 3, 0.5), { what: 'roiPool' });
        await expectNoLeaks(() => tf.grad((t) => tf.sum(roiPool(t as tf.Tensor4D, rois, 3, 0.5)))(x), {
          what: 'roiPool gradient',
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
          expectClose(roiPool(x, tf.tensor2d(rois), 2), roiPool(x, rois, 2));
          expectClose(roiPool(x, tf.tensor2d(rois, [2, 5], 'int32'), 2), roiPool(x, rois, 2));
          const none = roiPool(x, tf.zeros([0, 5]), [3, 2]);
          expect(none.shape).toEqual([0, 3, 2, 3]);
          const g = tf.grad((t) => tf.sum(roiPool(t as tf.Tensor4D, [], 2)))(x);
          expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
        });
      });

      it('RoIPool module equals the function', () => {
        tf.tidy(() => {
          const x = tf.randomNormal([1, 8, 8, 2]) as tf.Tensor4D;
          const rois = [[0, 3, 4, 30, 25]];
          const m = new RoIPool([2, 3], 0.25);
          expectClose(m.apply(x, rois), roiPool(x, rois, [2, 3], 0.25));
          expect(m.toString()).toBe('RoIPool(output_size=(2, 3), spatial_scale=0.25)');
          expect(m.parameters()).toHaveLength(0);
        });
      });
    });
  }
}

describe('roiPool input errors', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  const x = () => tf.zeros([2, 4, 4, 1]) as tf.Tensor4D;

  it('names rois of the wrong shape', () => {
    expect(() => roiPool(x(), [[0, 1, 2, 3]], 2)).toThrow(/roiPool: rois must have shape \[K, 5\].*\[1, 4\]/);
    expect(() => roiPool(x(), tf.zeros([3, 4]), 2)).toThrow(
      /roiPool: rois must have shape \[K, 5\].*\[3,4\]/,
    );
    expect(() => roiPool(x(), tf.zeros([5]), 2)).toThrow(/roiPool: rois must have shape \[K, 5\]/);
    expect(() => roiPool(x(), 'boxes' as never, 2)).toThrow(/roiPool: rois must be a \[K, 5\] tensor/);
  });

  it('names a batch index out of range or not an integer', () => {
    expect(() => roiPool(x(), [[2, 0, 0, 1, 1]], 2)).toThrow(
      /roiPool: rois\[0\]\[0\] \(batch index\) must be an integer in \[0, 2\).*got 2/,
    );
    expect(() =>
      roiPool(
        x(),
        [
          [0, 0, 0, 1, 1],
          [-1, 0, 0, 1, 1],
        ],
        2,
      ),
    ).toThrow(/rois\[1\]\[0\].*got -1/);
    expect(() => roiPool(x(), [[0.5, 0, 0, 1, 1]], 2)).toThrow(/rois\[0\]\[0\].*got 0.5/);
  });

  it('names non-finite coordinates', () => {
    expect(() => roiPool(x(), [[0, 0, Number.NaN, 1, 1]], 2)).toThrow(
      /roiPool: rois\[0\]\[2\] \(y1\) must be finite, got NaN/,
    );
    expect(() => roiPool(x(), tf.tensor2d([[0, 0, 0, Infinity, 1]]), 2)).toThrow(
      /rois\[0\]\[3\] \(x2\).*Infinity/,
    );
  });

  it('names an output size < 1 and a bad spatial scale', () => {
    expect(() => roiPool(x(), [], 0)).toThrow(/roiPool: outputSize must be an integer ≥ 1.*got 0/);
    expect(() => roiPool(x(), [], [2, 0])).toThrow(/roiPool: outputSize.*got \[2, 0\]/);
    expect(() => roiPool(x(), [], 2.5)).toThrow(/roiPool: outputSize/);
    expect(() => roiPool(x(), [], 2, 0)).toThrow(/roiPool: spatialScale must be a finite number > 0, got 0/);
    expect(() => roiPool(x(), [], 2, Number.NaN)).toThrow(/spatialScale.*NaN/);
    expect(() => new RoIPool(0)).toThrow(/RoIPool: outputSize/);
  });

  it('names features that are not float32 NHWC', () => {
    expect(() => roiPool(tf.zeros([4, 4, 1]) as never, [], 2)).toThrow(/roiPool: features must have rank 4/);
    expect(() => roiPool(tf.zeros([1, 4, 4, 1], 'int32') as never, [], 2)).toThrow(
      /roiPool: features must be float32, got int32/,
    );
    expect(() => roiPool([[1]] as never, [], 2)).toThrow(/roiPool: features must be a tf.Tensor/);
    expect(() => roiPool(tf.zeros([1, 0, 4, 1]) as never, [], 2)).toThrow(
      /roiPool: features must have N, H, W, C ≥ 1/,
    );
  });
});
