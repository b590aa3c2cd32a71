import type * as tf from '@tensorflow/tfjs-core';
import { type KernelArgs, WasmOps } from './kernel-utils.js';

/**
 * `UnsortedSegmentSum` for the 'wasm' backend (tfjs-core's gradient of `Gather` uses it), from the WASM
 * backend's own kernels: `ScatterNd` sums updates that share an index. Ids outside `[0, numSegments)` are
 * dropped, as on the CPU backend: they are sent to one extra segment that is cut off at the end.
 *
 * Inputs `{x: [...ids.shape, ...rest], segmentIds: int32 ids.shape}`; attrs `{numSegments}`.
 * Output `[numSegments, ...rest]`, the dtype of `x`.
 */
export function unsortedSegmentSumWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs.x as tf.TensorInfo;
  const segmentIds = inputs.segmentIds as tf.TensorInfo;
  const numSegments = attrs.numSegments as number;
  const idsRank = segmentIds.shape.length;
  if (segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `UnsortedSegmentSum (wasm): segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`,
    );
  }
  const ops = new WasmOps(backend);
  const n = segmentIds.shape.reduce((a, d) => a * d, 1);
  const rest = x.shape.slice(idsRank);
  const sliceSize = rest.reduce((a, d) => a * d, 1);
  if (n === 0 || sliceSize === 0 || numSegments === 0) {
    return ops.run('Fill', {}, { shape: [numSegments, ...rest], value: 0, dtype: x.dtype });
  }
  const flatIds = ops.reshape(segmentIds, [n]);
  const ids = segmentIds.dtype === 'int32' ? flatIds : ops.run('Cast', { x: flatIds }, { dtype: 'int32' });
  if (ids !== flatIds) ops.dispose(flatIds);
  // Out-of-range ids → segment `numSegments` (cut off below).
  const zero = ops.run('Fill', {}, { shape: [], value: 0, dtype: 'int32' });
  const extra = ops.run('Fill', {}, { shape: [], value: numSegments, dtype: 'int32' });
  const geZero = ops.run('GreaterEqual', { a: ids, b: zero });
  const belowN = ops.run('Less', { a: ids, b: extra });
  const valid = ops.run('LogicalAnd', { a: geZero, b: belowN });
  const extraIds = ops.run('Fill', {}, { shape: [n], value: numSegments, dtype: 'int32' });
  const safe = ops.run('Select', { condition: valid, t: ids, e: extraIds });
  ops.dispose(ids, zero, extra, geZero, belowN, valid, extraIds);
  const indices = ops.reshape(safe, [n, 1]);
  ops.dispose(safe);
  const updates = ops.reshape(x, [n, sliceSize]);
  const scattered = ops.run('ScatterNd', { indices, updates }, { shape: [numSegments + 1, sliceSize] });
  ops.dispose(indices, updates);
  const kept = ops.slice(scattered, [0, 0], [numSegments, sliceSize]);
  ops.dispose(scattered);
  const out = ops.reshape(kept, [numSegments, ...rest]);
  ops.dispose(kept);
  return out;
}
