import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasRoIKernels,
  ROI_KERNEL_BACKENDS,
  ROI_KERNELS,
  registerRoIKernels,
  useRoIKernels,
} from './kernels.js';
import { roiAlign } from './roi-align.js';
import { roiPool } from './roi-pool.js';
import { FLT_MAX, roiSimdBytes, roiSimdModule } from './simd-module.js';
import { rng } from './test-utils/reference.js';

/** A random CSR plan: some empty bins, repeated cells, cells in any order. */
function randomPlan(rand: () => number, bins: number, R: number) {
  const binStart = [0];
  const cell: number[] = [];
  const weight: number[] = [];
  for (let b = 0; b < bins; b++) {
    const n = rand() < 0.2 ? 0 : 1 + Math.floor(rand() * 6);
    for (let i = 0; i < n; i++) {
      cell.push(Math.floor(rand() * R));
      weight.push(rand() * 2 - 1);
    }
    binStart.push(cell.length);
  }
  return { binStart, cell, weight };
}

type Plan = ReturnType<typeof randomPlan>;

/** Naive loops: the weighted sums, their transpose, the maxima from −FLT_MAX with the first argmax. */
function reference(x: Float32Array, R: number, C: number, p: Plan, dy: Float32Array) {
  const B = p.binStart.length - 1;
  const sum = new Float64Array(B * C);
  const sumGrad = new Float64Array(R * C);
  const max = new Float32Array(B * C);
  const argmax = new Int32Array(B * C).fill(-1);
  const maxGrad = new Float64Array(R * C);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const t0 = p.binStart[b]!;
      const t1 = p.binStart[b + 1]!;
      let m = t0 === t1 ? 0 : -FLT_MAX;
      for (let t = t0; t < t1; t++) {
        const row = p.cell[t]!;
        const v = x[row * C + c]!;
        sum[b * C + c]! += Math.fround(p.weight[t]!) * v;
        sumGrad[row * C + c]! += Math.fround(p.weight[t]!) * dy[b * C + c]!;
        if (v > m) {
          m = v;
          argmax[b * C + c] = row;
        }
      }
      max[b * C + c] = m;
      const a = argmax[b * C + c]!;
      if (a >= 0) maxGrad[a * C + c]! += dy[b * C + c]!;
    }
  }
  return { sum, sumGrad, max, argmax, maxGrad };
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];

describe('the WebAssembly SIMD module', () => {
  it('validates and compiles (unshared and shared memory)', () => {
    expect(WebAssembly.validate(roiSimdBytes(false))).toBe(true);
    expect(roiSimdModule(false)).toBeInstanceOf(WebAssembly.Module);
    expect(WebAssembly.validate(roiSimdBytes(true))).toBe(true);
  });
});

for (const backend of await testBackends()) {
  describe(`registered RoI kernels (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend, { log: false });
      registerRoIKernels();
    });
    afterAll(() => useRoIKernels(true));

    const ours = (ROI_KERNEL_BACKENDS as readonly string[]).includes(backend);

    it(ours ? 'are registered for this backend' : 'are not registered for this backend', () => {
      for (const name of Object.values(ROI_KERNELS))
        expect(tf.getKernel(name, backend) !== undefined).toBe(ours);
      expect(hasRoIKernels(ROI_KERNELS.sparseMax)).toBe(ours);
    });

    if (!ours) return;

    it('equal naive loops on random plans, for channel counts of every block and tail size', () => {
      const rand = rng(11);
      for (const C of [1, 3, 4, 5, 16, 33, 70, 256]) {
        const R = 13;
        const bins = 29;
        // Small integers (many ties), a −∞ row and a NaN cell.
        const x = new Float32Array(R * C).map(() => Math.round(rand() * 4 - 2));
        x.fill(Number.NEGATIVE_INFINITY, 2 * C, 3 * C);
        x[5 * C] = Number.NaN;
        const p = randomPlan(rand, bins, R);
        p.cell.push(2, 2, 5);
        p.weight.push(0, 0, 0.5);
        p.binStart.push(p.cell.length - 1, p.cell.length); // a bin of the −∞ row, a bin of the NaN cell
        const B = bins + 2;
        const dyv = new Float32Array(B * C).map(() => rand() - 0.5);
        const ref = reference(x, R, C, p, dyv);
        tf.tidy(() => {
          const xt = tf.tensor2d(x, [R, C]);
          const plan = {
            binStart: tf.tensor1d(p.binStart, 'int32'),
            cell: tf.tensor1d(p.cell, 'int32'),
          };
          const weight = tf.tensor1d(p.weight);
          const dy = tf.tensor2d(dyv, [B, C]);
          const what = `C=${C}`;
          // The sums: no NaN cell (NaN·w is NaN on both sides; compare finite rows only).
          const xs = tf.where(tf.isFinite(xt), xt, tf.zerosLike(xt));
          const xsv = xs.dataSync() as Float32Array;
          const refs = reference(xsv, R, C, p, dyv);
          const sum = run(ROI_KERNELS.sparseSum, { x: xs, ...plan, weight }) as tf.Tensor;
          expectClose(sum, tf.tensor2d(Float32Array.from(refs.sum), [B, C]), {
            atol: 1e-5,
            what: `${what} sum`,
          });
          const sumGrad = run(
            ROI_KERNELS.sparseSumGrad,
            { dy, ...plan, weight },
            { numRows: R },
          ) as tf.Tensor;
          expectClose(sumGrad, tf.tensor2d(Float32Array.from(ref.sumGrad), [R, C]), {
            atol: 1e-5,
            what: `${what} sum grad`,
          });
          for (const packed of [false, true]) {
            const [max, argmax] = run(ROI_KERNELS.sparseMax, { x: xt, ...plan }, { packed }) as tf.Tensor[];
            expect(Array.from(max!.dataSync()), `${what} max`).toEqual(Array.from(ref.max));
            expect(argmax!.dtype).toBe('int32');
            if (packed) {
              // One byte per channel: the position in the bin's list, 255 for none.
              expect(argmax!.shape).toEqual([B, Math.ceil(C / 4)]);
              const bytes = new Uint8Array((argmax!.dataSync() as Int32Array).buffer);
              const rowBytes = 4 * Math.ceil(C / 4);
              const positions = Array.from(ref.argmax, (row, i) => {
                const b = Math.floor(i / C);
                return row < 0 ? 255 : p.cell.slice(p.binStart[b]!, p.binStart[b + 1]!).indexOf(row);
              });
              expect(
                Array.from({ length: B * C }, (_, i) => bytes[Math.floor(i / C) * rowBytes + (i % C)]),
                `${what} packed argmax`,
              ).toEqual(positions);
            } else {
              expect(Array.from(argmax!.dataSync()), `${what} argmax`).toEqual(Array.from(ref.argmax));
            }
            const maxGrad = run(
              ROI_KERNELS.sparseMaxGrad,
              { dy, argmax: argmax!, ...plan },
              { numRows: R, packed },
            ) as tf.Tensor;
            expectClose(maxGrad, tf.tensor2d(Float32Array.from(ref.maxGrad), [R, C]), {
              atol: 1e-5,
              what: `${what} max grad${packed ? ' (packed)' : ''}`,
            });
          }
        });
      }
    });

    it('skip NaN cells and start from −FLT_MAX, as torchvision', () => {
      tf.tidy(() => {
        const x = tf.tensor2d([Number.NaN, 1, Number.NEGATIVE_INFINITY, Number.NaN], [4, 1]);
        const [max, argmax] = run(ROI_KERNELS.sparseMax, {
          x,
          binStart: tf.tensor1d([0, 2, 3, 4, 4], 'int32'),
          cell: tf.tensor1d([0, 1, 2, 3], 'int32'),
        }) as tf.Tensor[];
        expect(Array.from(max!.dataSync())).toEqual([1, -FLT_MAX, -FLT_MAX, 0]);
        expect(Array.from(argmax!.dataSync())).toEqual([1, -1, -1, -1]);
      });
    });

    it('check their inputs', () => {
      tf.tidy(() => {
        const x = tf.zeros([4, 2]);
        const binStart = tf.tensor1d([0, 1, 2], 'int32');
        const cell = tf.tensor1d([0, 3], 'int32');
        const weight = tf.ones([2]);
        expect(() => run(ROI_KERNELS.sparseMax, { x, binStart, cell: tf.tensor1d([0, 4], 'int32') })).toThrow(
          /CvRoISparseMax: cell\[1\] = 4 is outside \[0, 4\)/,
        );
        expect(() => run(ROI_KERNELS.sparseMax, { x, binStart: tf.tensor1d([1, 2], 'int32'), cell })).toThrow(
          /CvRoISparseMax: binStart \[2\] must rise from 0 to the 2 cells/,
        );
        expect(() => run(ROI_KERNELS.sparseSum, { x, binStart, cell, weight: tf.ones([3]) })).toThrow(
          /CvRoISparseSum: weight \[3\] must have the length of cell \[2\]/,
        );
        expect(() => run(ROI_KERNELS.sparseSum, { x: tf.zeros([4]), binStart, cell, weight })).toThrow(
          /CvRoISparseSum: input 'x' must be a rank-2 float32 tensor, got float32 \[4\]/,
        );
        expect(() =>
          run(ROI_KERNELS.sparseSumGrad, { dy: tf.zeros([3, 2]), binStart, cell, weight }, { numRows: 4 }),
        ).toThrow(/CvRoISparseSumGrad: dy \[3,2\] must have one row per bin/);
        expect(() =>
          run(ROI_KERNELS.sparseSumGrad, { dy: tf.zeros([2, 2]), binStart, cell, weight }),
        ).toThrow(/CvRoISparseSumGrad: attr numRows must be an integer ≥ 0, got undefined/);
        expect(() =>
          run(
            ROI_KERNELS.sparseMaxGrad,
            { dy: tf.zeros([2, 2]), argmax: tf.zeros([2, 3], 'int32') },
            { numRows: 4 },
          ),
        ).toThrow(/CvRoISparseMaxGrad: argmax \[2,3\] must be \[2, 2\] for dy \[2,2\]/);
      });
    });

    it('ignore an argmax outside [0, numRows) in the max gradient', () => {
      tf.tidy(() => {
        const dx = run(
          ROI_KERNELS.sparseMaxGrad,
          { dy: tf.tensor2d([[1, 2, 3, 4]]), argmax: tf.tensor2d([[0, -1, 2, 7]], [1, 4], 'int32') },
          { numRows: 3 },
        ) as tf.Tensor;
        expect(Array.from(dx.dataSync())).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0]);
      });
    });

    it('ignore a packed position outside its bin, and refuse to pack bins of more than 255 cells', () => {
      tf.tidy(() => {
        // One bin of cells [2, 0]; channel positions 0, none (255), 1 and 9 (outside the list).
        const packed = 0 | (255 << 8) | (1 << 16) | (9 << 24);
        const dx = run(
          ROI_KERNELS.sparseMaxGrad,
          {
            dy: tf.tensor2d([[1, 2, 3, 4]]),
            argmax: tf.tensor2d([[packed]], [1, 1], 'int32'),
            binStart: tf.tensor1d([0, 2], 'int32'),
            cell: tf.tensor1d([2, 0], 'int32'),
          },
          { numRows: 3, packed: true },
        ) as tf.Tensor;
        expect(Array.from(dx.dataSync())).toEqual([0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
        const big = { binStart: tf.tensor1d([0, 256], 'int32'), cell: tf.zeros([256], 'int32') };
        expect(() => run(ROI_KERNELS.sparseMax, { x: tf.zeros([1, 2]), ...big }, { packed: true })).toThrow(
          /CvRoISparseMax: a packed argmax allows 255 cells a bin, a bin has 256/,
        );
        expect(() => run(ROI_KERNELS.sparseMax, { x: tf.zeros([1, 2]), ...big })).not.toThrow();
      });
    });

    it('leak no tensor and no backend data', async () => {
      const x = tf.randomNormal([6, 5]);
      const plan = { binStart: tf.tensor1d([0, 2, 2, 3], 'int32'), cell: tf.tensor1d([1, 4, 0], 'int32') };
      const weight = tf.tensor1d([0.5, 0.25, 1]);
      const dy = tf.randomNormal([3, 5]);
      const dataIds = tf.engine().backend.numDataIds();
      tf.dispose(
        await expectNoLeaks(() => run(ROI_KERNELS.sparseSum, { x, ...plan, weight }), { what: 'sparseSum' }),
      );
      tf.dispose(
        await expectNoLeaks(() => run(ROI_KERNELS.sparseSumGrad, { dy, ...plan, weight }, { numRows: 6 }), {
          what: 'sparseSumGrad',
        }),
      );
      tf.dispose(
        await expectNoLeaks(() => run(ROI_KERNELS.sparseMax, { x, ...plan }), { what: 'sparseMax' }),
      );
      tf.dispose(
        await expectNoLeaks(
          () =>
            tf.tidy(() => {
              const [, argmax] = run(ROI_KERNELS.sparseMax, { x, ...plan }) as tf.Tensor[];
              return run(ROI_KERNELS.sparseMaxGrad, { dy, argmax: argmax! }, { numRows: 6 });
            }),
          { what: 'sparseMaxGrad' },
        ),
      );
      expect(tf.engine().backend.numDataIds()).toBe(dataIds);
      tf.dispose([x, plan.binStart, plan.cell, weight, dy]);
    });

    it('are what roiPool and roiAlign run, unless the tfjs-ops path is chosen', async () => {
      const x = tf.randomNormal([1, 8, 8, 3]) as tf.Tensor4D;
      const rois = [[0, 1, 1, 6, 7]];
      const kernelsOf = async (f: (t: tf.Tensor4D) => tf.Tensor) => {
        const info = await tf.profile(() => tf.grad((t) => tf.sum(f(t as tf.Tensor4D)))(x));
        return new Set(info.kernelNames);
      };
      for (const on of [true, false]) {
        useRoIKernels(on);
        const pool = await kernelsOf((t) => roiPool(t, rois, 2));
        const align = await kernelsOf((t) => roiAlign(t, rois, 2));
        expect(pool.has(ROI_KERNELS.sparseMax) && pool.has(ROI_KERNELS.sparseMaxGrad)).toBe(on);
        expect(align.has(ROI_KERNELS.sparseSum) && align.has(ROI_KERNELS.sparseSumGrad)).toBe(on);
        expect(pool.has('GatherNd')).toBe(!on);
        expect(align.has('GatherNd')).toBe(!on);
      }
      useRoIKernels(true);
      x.dispose();
    });
  });
}
