import * as tf from '@tensorflow/tfjs-core';
import { chunkGroups, type GroupChunk, type GroupedPlan } from './grouped-plan.js';

/** Elements (bins × slots × channels) per chunk of a group: bounds the memory of the intermediates. */
const CHUNK_ELEMENTS = 1 << 22;

/** torchvision starts each bin's search at −FLT_MAX: a bin of −∞ cells pools to −FLT_MAX. */
const FLT_MAX = 3.4028234663852886e38;

/** The chunk's cells as `gatherND` indices `[n, slots, 1]`. */
export function cellIndices(c: GroupChunk): tf.Tensor3D {
  const { slots } = c.group;
  return tf.tensor3d(c.group.cells.subarray(c.i0 * slots, c.i1 * slots), [c.i1 - c.i0, slots, 1], 'int32');
}

/**
 * Backward of one chunk: where each bin's `dy` goes. `Z = step(y − G, α) · K` with `K = B − offset` (offset:
 * the cell's distance from the bin's first cell, which is its smallest: cells are in row-major order;
 * `B` = 1 + the largest offset, `α = B + 1`) is `α·K ≥ α` at a maximum and `K ≤ B < α` elsewhere, and
 * larger for earlier cells; `max Z = α·(B − offset*)` names the first maximum (float32-exact: `B < 2^22`).
 * Returns the elements `[n, C]` (int32 when `exact` is false) and the updates `[n, C]` (dy, or 0 for a bin
 * of −∞ cells).
 */
function firstMaximum(
  c: GroupChunk,
  features: tf.Tensor2D,
  maxima: tf.Tensor,
  dy: tf.Tensor,
  C: number,
  channel: tf.Tensor,
  exact: boolean,
): [tf.Tensor, tf.Tensor] {
  const n = c.i1 - c.i0;
  const S = c.group.slots;
  const cells = c.group.cells.subarray(c.i0 * S, c.i1 * S);
  const first = new Float32Array(n);
  let B = 1;
  for (let j = 0; j < n; j++) {
    first[j] = cells[j * S]!;
    for (let s = 1; s < S; s++) B = Math.max(B, cells[j * S + s]! - cells[j * S]! + 1);
  }
  if (B >= 2 ** 22) {
    throw new Error(
      `roiPool gradient: a bin spans ${B} feature rows (row-major, from its first cell); at most 2^22 are supported`,
    );
  }
  const rank = new Float32Array(n * S);
  for (let j = 0; j < n; j++)
    for (let s = 0; s < S; s++) rank[j * S + s] = B - (cells[j * S + s]! - first[j]!);
  const alpha = B + 1;
  const g = tf.gatherND(features, cellIndices(c));
  const z = tf.mul(tf.step(tf.sub(tf.reshape(maxima, [n, 1, C]), g), alpha), tf.tensor3d(rank, [n, S, 1]));
  const zMax =
    S === 1
      ? tf.reshape(z, [n, C])
      : tf.reshape(tf.maxPool(tf.reshape(z, [n, S, 1, C]) as tf.Tensor4D, [S, 1], [S, 1], 'valid'), [n, C]);
  const valid = tf.step(tf.sub(zMax, alpha - 0.5));
  const offset = tf.sub(B, tf.round(tf.div(zMax, alpha)));
  const cell = tf.mul(tf.add(offset, tf.tensor2d(first, [n, 1])), valid);
  const target = exact
    ? tf.add(tf.mul(cell, C), channel)
    : tf.add(tf.mul(tf.cast(cell, 'int32'), tf.scalar(C, 'int32')), channel);
  const update = tf.mul(
    tf.gatherND(dy, tf.tensor2d(c.group.bins.subarray(c.i0, c.i1), [n, 1], 'int32')),
    valid,
  );
  return [exact ? tf.cast(target, 'int32') : target, update];
}

/**
 * `out[i] = max over the cells of bin i of rows[cell]`, channel by channel, starting from −FLT_MAX; a bin
 * without cells is 0 (torchvision's `roi_pool`). The gradient with respect to `rows` sends each `dy[i, c]` to
 * the FIRST cell of bin `i` (in the plan's order) that holds the maximum of channel `c`, as torchvision's
 * `argmax` does; ties (ReLU zeros) go to the earliest cell, and a bin of −∞ passes nothing on.
 *
 * Built from `gatherND`, `maxPool`, `step`, element-wise arithmetic and `scatterND`, so it runs on every
 * backend. Per group of `S` slots the gathered cells `G` `[n, S, C]` pool to `y = max G`. The gradient
 * finds each bin's first maximum per channel with exact small-integer arithmetic and one more pooling
 * (see `firstMaximum`), then sends `dy` there with one element-wise `scatterND` for all bins.
 *
 * `rows` `[R, C]` float32 → `[numBins, C]`.
 */
export function groupedRowMax(rows: tf.Tensor2D, plan: GroupedPlan): tf.Tensor2D {
  const [R, C] = rows.shape;
  const parts = chunkGroups(plan, C, CHUNK_ELEMENTS);
  const order = plan.order;
  const op = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc, s?: tf.Tensor | tf.GradSaveFunc) => {
    const features = x as tf.Tensor2D;
    const save = s as tf.GradSaveFunc;
    // The maxima of the chunks' bins (clipped below at −FLT_MAX), kept for the gradient.
    const maxima = parts.map((c) =>
      tf.tidy(() => {
        const n = c.i1 - c.i0;
        const S = c.group.slots;
        const g = tf.reshape(tf.gatherND(features, cellIndices(c)), [n, S, 1, C]) as tf.Tensor4D;
        const y = S === 1 ? g : tf.maxPool(g, [S, 1], [S, 1], 'valid');
        return tf.clipByValue(tf.reshape(y, [n, C]), -FLT_MAX, Number.POSITIVE_INFINITY);
      }),
    );
    save(maxima);
    // Every bin in its place; the empty bins read a zero row after the chunks' rows.
    const value = tf.tidy(() =>
      plan.empty === 0
        ? tf.zeros([plan.numBins, C])
        : tf.gatherND(
            tf.concat([...maxima, tf.zeros([1, C])], 0),
            tf.tensor2d(order, [plan.numBins, 1], 'int32'),
          ),
    ) as tf.Tensor2D;
    tf.dispose(maxima);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        if (parts.length === 0) return tf.zeros([R, C]);
        // Per chunk: the element (row · C + channel) of each bin's first maximum, and dy there (0 if none).
        const exact = R * C <= 2 ** 24;
        const channel = tf.range(0, C, 1, exact ? 'float32' : 'int32').reshape([1, C]);
        const targets: tf.Tensor[] = [];
        const updates: tf.Tensor[] = [];
        parts.forEach((c, i) => {
          const [target, update] = tf.tidy(() => firstMaximum(c, features, saved[i]!, dy, C, channel, exact));
          targets.push(target);
          updates.push(update);
        });
        const target = targets.length === 1 ? targets[0]! : tf.concat(targets, 0);
        const update = updates.length === 1 ? updates[0]! : tf.concat(updates, 0);
        const n = target.shape[0]! * C;
        const dx = tf.scatterND(tf.reshape(target, [n, 1]), tf.reshape(update, [n]), [R * C]);
        return tf.reshape(dx, [R, C]);
      });
    return { value, gradFunc };
  });
  return op(rows) as tf.Tensor2D;
}
