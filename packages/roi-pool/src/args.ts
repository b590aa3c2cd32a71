import * as tf from '@tensorflow/tfjs-core';

/**
 * Regions of interest: `[K, 5]` rows `(batch index, x1, y1, x2, y2)` in input-image coordinates (torchvision's
 * `Tensor[K, 5]` format), as a tensor or as nested arrays. `K` may be 0.
 */
export type RoisLike = tf.Tensor2D | tf.Tensor | ReadonlyArray<ReadonlyArray<number>>;

/** One number for a square output, or `[height, width]`. */
export type OutputSize = number | readonly [number, number];

/** The validated RoIs: float32 values (as torchvision holds them), row-major `[K, 5]`. */
export interface ParsedRois {
  count: number;
  values: Float32Array;
}

/** Throws unless `features` is a float32 `[N, H, W, C]` tensor with N, H, W, C ≥ 1. */
export function checkFeatures(
  op: string,
  features: unknown,
  name = 'features',
): asserts features is tf.Tensor4D {
  if (!(features instanceof tf.Tensor)) {
    throw new TypeError(`${op}: ${name} must be a tf.Tensor [N, H, W, C], got ${describe(features)}`);
  }
  if (features.rank !== 4) {
    throw new Error(`${op}: ${name} must have rank 4 [N, H, W, C] (NHWC), got shape [${features.shape}]`);
  }
  if (features.dtype !== 'float32') {
    throw new Error(`${op}: ${name} must be float32, got ${features.dtype} (shape [${features.shape}])`);
  }
  if ((features.shape as number[]).some((d) => d < 1)) {
    throw new Error(`${op}: ${name} must have N, H, W, C ≥ 1, got shape [${features.shape}]`);
  }
}

/** `[height, width]` from an output size; each an integer ≥ 1. */
export function resolveOutputSize(op: string, outputSize: unknown): [number, number] {
  const pair = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    !pair.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1)
  ) {
    throw new Error(
      `${op}: outputSize must be an integer ≥ 1 or [height, width] of integers ≥ 1, got ${describe(outputSize)}`,
    );
  }
  return [pair[0] as number, pair[1] as number];
}

/** Throws unless `spatialScale` is a finite number > 0. */
export function checkSpatialScale(op: string, spatialScale: unknown): number {
  if (typeof spatialScale !== 'number' || !Number.isFinite(spatialScale) || spatialScale <= 0) {
    throw new Error(`${op}: spatialScale must be a finite number > 0, got ${describe(spatialScale)}`);
  }
  return spatialScale;
}

/** Throws unless `samplingRatio` is an integer (> 0: that many samples per bin axis; ≤ 0: adaptive). */
export function checkSamplingRatio(op: string, samplingRatio: unknown): number {
  if (typeof samplingRatio !== 'number' || !Number.isInteger(samplingRatio)) {
    throw new Error(
      `${op}: samplingRatio must be an integer (> 0 samples per bin axis, or -1 for adaptive), got ${describe(samplingRatio)}`,
    );
  }
  return samplingRatio;
}

const COLUMNS = ['batch index', 'x1', 'y1', 'x2', 'y2'];

/**
 * Reads and checks `rois` `[K, 5]`: every batch index an integer in `[0, batchSize)`, every coordinate
 * finite. Values are rounded to float32, as torchvision holds them. Tensors are read with `dataSync()`.
 */
export function parseRois(op: string, rois: unknown, batchSize: number, name = 'rois'): ParsedRois {
  let values: Float32Array;
  let count: number;
  if (rois instanceof tf.Tensor) {
    if (rois.rank !== 2 || rois.shape[1] !== 5) {
      throw new Error(
        `${op}: ${name} must have shape [K, 5] (batch index, x1, y1, x2, y2), got [${rois.shape}]`,
      );
    }
    if (rois.dtype !== 'float32' && rois.dtype !== 'int32') {
      throw new Error(`${op}: ${name} must be float32 or int32, got ${rois.dtype}`);
    }
    count = rois.shape[0]!;
    values = Float32Array.from(rois.dataSync() as ArrayLike<number>);
  } else if (Array.isArray(rois)) {
    count = rois.length;
    values = new Float32Array(count * 5);
    rois.forEach((row: unknown, k) => {
      if (!isNumberRow(row) || row.length !== 5) {
        const shape = isNumberRow(row) ? `[${count}, ${row.length}]` : `a row ${describe(row)}`;
        throw new Error(
          `${op}: ${name} must have shape [K, 5] (batch index, x1, y1, x2, y2), got ${shape} at row ${k}`,
        );
      }
      for (let j = 0; j < 5; j++) values[k * 5 + j] = row[j]!;
    });
  } else {
    throw new TypeError(
      `${op}: ${name} must be a [K, 5] tensor or array of (batch index, x1, y1, x2, y2), got ${describe(rois)}`,
    );
  }
  for (let k = 0; k < count; k++) {
    const b = values[k * 5]!;
    if (!Number.isInteger(b) || b < 0 || b >= batchSize) {
      throw new Error(
        `${op}: ${name}[${k}][0] (batch index) must be an integer in [0, ${batchSize}) for features of batch ` +
          `${batchSize}, got ${b}`,
      );
    }
    for (let j = 1; j < 5; j++) {
      const v = values[k * 5 + j]!;
      if (!Number.isFinite(v)) {
        throw new Error(`${op}: ${name}[${k}][${j}] (${COLUMNS[j]}) must be finite, got ${v}`);
      }
    }
  }
  return { count, values };
}

function isNumberRow(row: unknown): row is ArrayLike<number> {
  return (
    (Array.isArray(row) || ArrayBuffer.isView(row)) &&
    Array.from(row as ArrayLike<unknown>).every((v) => typeof v === 'number')
  );
}

function describe(v: unknown): string {
  if (v instanceof tf.Tensor) return `a ${v.dtype} tensor of shape [${v.shape}]`;
  if (v === undefined || typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return `[${v.map(String).join(', ')}]`;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}
