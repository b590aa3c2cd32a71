import * as tf from '@tensorflow/tfjs-core';
import { groupSparsePlan } from './grouped-plan.js';
import { groupedRowMax } from './grouped-row-max.js';
import { groupedRowSum } from './grouped-row-sum.js';
import { hasRoIKernels, PACKED_MAX_CELLS, ROI_KERNELS } from './kernels.js';
import type { CellPlan, SparsePlan } from './roi-align-plan.js';

const planTensors = (plan: CellPlan) => ({
  binStart: tf.tensor1d(plan.binStart, 'int32'),
  cell: tf.tensor1d(plan.cell, 'int32'),
});

/**
 * `out[i] = Σ weight[t] · rows[cell[t]]` over the taps `t` of bin `i` (RoI align), with its gradient with
 * respect to `rows`. `rows` `[R, C]` float32 → `[numBins, C]`; a bin without taps is 0.
 *
 * Where the active backend has the registered kernels (kernels.ts: 'wasm', 'cpu') one WebAssembly SIMD
 * loop per direction runs on the backend's data; on any other backend, tfjs ops ({@link groupedRowSum}).
 */
export function sparseRowSum(rows: tf.Tensor2D, plan: SparsePlan): tf.Tensor2D {
  if (!hasRoIKernels(ROI_KERNELS.sparseSum, ROI_KERNELS.sparseSumGrad)) {
    return groupedRowSum(rows, groupSparsePlan(plan));
  }
  const [R, C] = rows.shape;
  const inputs = () => ({ ...planTensors(plan), weight: tf.tensor1d(plan.weight, 'float32') });
  const op = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => {
    const value = tf.tidy(() =>
      plan.cell.length === 0
        ? tf.zeros([plan.numBins, C])
        : (tf.engine().runKernel(ROI_KERNELS.sparseSum, { x: x as tf.Tensor2D, ...inputs() }) as tf.Tensor),
    ) as tf.Tensor2D;
    const gradFunc = (dy: tf.Tensor) =>
      tf.tidy(() =>
        plan.cell.length === 0
          ? tf.zeros([R, C])
          : (tf
              .engine()
              .runKernel(ROI_KERNELS.sparseSumGrad, { dy, ...inputs() }, { numRows: R }) as tf.Tensor),
      );
    return { value, gradFunc };
  });
  return op(rows) as tf.Tensor2D;
}

/**
 * `out[i] = max over the cells of bin i of rows[cell]`, channel by channel, from −FLT_MAX; a bin without
 * cells is 0 (torchvision's `roi_pool`). The gradient sends each `dy[i, c]` to the FIRST cell of bin `i`
 * holding the maximum of channel `c` (torchvision's argmax; a bin of −∞ passes nothing on).
 * `rows` `[R, C]` float32 → `[numBins, C]`.
 *
 * Where the active backend has the registered kernels ('wasm', 'cpu') the forward pass also returns the
 * argmax (one byte per element when every bin has at most 255 cells), which the backward pass uses; on any
 * other backend, tfjs ops ({@link groupedRowMax}).
 */
export function sparseRowMax(rows: tf.Tensor2D, plan: CellPlan): tf.Tensor2D {
  if (!hasRoIKernels(ROI_KERNELS.sparseMax, ROI_KERNELS.sparseMaxGrad)) {
    return groupedRowMax(rows, groupSparsePlan(plan));
  }
  const [R, C] = rows.shape;
  // A one-byte argmax (the first maximum's position in its bin) when every bin has at most 255 cells.
  let largest = 0;
  for (let i = 0; i < plan.numBins; i++)
    largest = Math.max(largest, plan.binStart[i + 1]! - plan.binStart[i]!);
  const packed = largest <= PACKED_MAX_CELLS;
  const op = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, s?: tf.Tensor | tf.GradSaveFunc) => {
    const save = s as tf.GradSaveFunc;
    if (plan.cell.length === 0) {
      return { value: tf.zeros([plan.numBins, C]), gradFunc: () => tf.zeros([R, C]) };
    }
    const [value, argmax] = tf.tidy(
      () =>
        tf
          .engine()
          .runKernel(
            ROI_KERNELS.sparseMax,
            { x: x as tf.Tensor2D, ...planTensors(plan) },
            { packed },
          ) as tf.Tensor[],
    ) as [tf.Tensor2D, tf.Tensor2D];
    save([argmax]);
    argmax.dispose();
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(
        () =>
          tf
            .engine()
            .runKernel(
              ROI_KERNELS.sparseMaxGrad,
              { dy, argmax: saved[0]!, ...(packed ? planTensors(plan) : {}) },
              { numRows: R, packed },
            ) as tf.Tensor,
      );
    return { value, gradFunc };
  });
  return op(rows) as tf.Tensor2D;
}
