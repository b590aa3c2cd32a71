import * as tf from '@tensorflow/tfjs-core';
import { chunkGroups, type GroupedPlan } from './grouped-plan.js';
import { cellIndices } from './grouped-row-max.js';

/** Elements (bins × slots × channels) per chunk of a group: bounds the memory of the intermediates. */
const CHUNK_ELEMENTS = 1 << 22;

/**
 * `out[i] = Σ_s weight[i, s] · rows[cell[i, s]]` over the slots of bin `i` (a sparse `[numBins, R]` matrix
 * times `rows` `[R, C]`), with its gradient with respect to `rows` (the transposed product: each `dy[i]`
 * scaled by the weights and summed into the cells). Per group of `S` slots: `gatherND` of `[n, S, C]`, a
 * multiplication by the weights (times `S`) and an average pool over the slots; backward, a broadcast
 * multiplication and `scatterND` (which sums repeated cells). Runs on every backend. No gradient flows to
 * the plan. `rows` `[R, C]` float32 → `[numBins, C]`; a bin without cells is 0.
 */
export function groupedRowSum(rows: tf.Tensor2D, plan: GroupedPlan): tf.Tensor2D {
  const [R, C] = rows.shape;
  const parts = chunkGroups(plan, C, CHUNK_ELEMENTS);
  const weightsOf = (i0: number, i1: number, slots: number, w: Float32Array, scale: number) => {
    const out = w.slice(i0 * slots, i1 * slots);
    if (scale !== 1) for (let j = 0; j < out.length; j++) out[j]! *= scale;
    return tf.tensor3d(out, [i1 - i0, slots, 1], 'float32');
  };
  const op = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => {
    const features = x as tf.Tensor2D;
    const value = tf.tidy(() => {
      if (plan.empty === 0) return tf.zeros([plan.numBins, C]);
      const sums = parts.map((c) =>
        tf.tidy(() => {
          const n = c.i1 - c.i0;
          const S = c.group.slots;
          // avgPool divides by S: the weights are scaled by S.
          const w = weightsOf(c.i0, c.i1, S, c.group.weights!, S);
          const taps = tf.mul(tf.gatherND(features, cellIndices(c)), w);
          const y =
            S === 1
              ? taps
              : tf.avgPool(tf.reshape(taps, [n, S, 1, C]) as tf.Tensor4D, [S, 1], [S, 1], 'valid');
          return tf.reshape(y, [n, C]);
        }),
      );
      sums.push(tf.zeros([1, C]));
      return tf.gatherND(tf.concat(sums, 0), tf.tensor2d(plan.order, [plan.numBins, 1], 'int32'));
    }) as tf.Tensor2D;
    const gradFunc = (dy: tf.Tensor) =>
      tf.tidy(() => {
        let dx: tf.Tensor = tf.zeros([R, C]);
        for (const c of parts) {
          const n = c.i1 - c.i0;
          const next = tf.tidy(() => {
            const S = c.group.slots;
            const dyRows = tf.gatherND(dy, tf.tensor2d(c.group.bins.subarray(c.i0, c.i1), [n, 1], 'int32'));
            const taps = tf.mul(tf.reshape(dyRows, [n, 1, C]), weightsOf(c.i0, c.i1, S, c.group.weights!, 1));
            const cells = tf.reshape(cellIndices(c), [n * S, 1]);
            return tf.add(dx, tf.scatterND(cells, tf.reshape(taps, [n * S, C]), [R, C]));
          });
          dx.dispose();
          dx = next;
        }
        return dx;
      });
    return { value, gradFunc };
  });
  return op(rows) as tf.Tensor2D;
}
