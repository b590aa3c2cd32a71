import * as tf from '@tensorflow/tfjs-core';

export interface CloseOptions {
  /** Relative tolerance: |a − e| ≤ atol + rtol·|e| element-wise. Default 1e-5. */
  rtol?: number;
  /** Absolute tolerance. Default 1e-6. */
  atol?: number;
  /** Named in the error message. */
  what?: string;
}

type Numeric = tf.Tensor | ArrayLike<number> | number | number[][] | number[][][] | number[][][][];

function flatten(x: Numeric): { values: Float64Array; shape: number[] | undefined } {
  if (x instanceof tf.Tensor) return { values: Float64Array.from(x.dataSync()), shape: x.shape };
  if (typeof x === 'number') return { values: Float64Array.of(x), shape: [] };
  // Plain arrays are compared in float64, as given (no rounding through a float32 tensor).
  const shape: number[] = [];
  for (let level: unknown = x; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values = (
    Array.isArray(x) ? (x as unknown[]).flat(Number.POSITIVE_INFINITY) : Array.from(x as ArrayLike<number>)
  ) as number[];
  return { values: Float64Array.from(values), shape: Array.isArray(x) ? shape : [values.length] };
}

/** The largest absolute and relative differences and where they are (flat index). */
export function maxDifference(actual: Numeric, expected: Numeric) {
  const a = flatten(actual);
  const e = flatten(expected);
  let maxAbs = 0;
  let maxRel = 0;
  let at = -1;
  for (let i = 0; i < Math.min(a.values.length, e.values.length); i++) {
    const d = Math.abs(a.values[i]! - e.values[i]!);
    const r = d / Math.max(Math.abs(e.values[i]!), Number.MIN_VALUE);
    if (d > maxAbs || Number.isNaN(d)) {
      maxAbs = d;
      at = i;
    }
    if (r > maxRel) maxRel = r;
  }
  return { maxAbs, maxRel, at, actual: a, expected: e };
}

/**
 * Asserts that two tensors (or arrays, or numbers) have the same shape and are element-wise close:
 * |actual − expected| ≤ atol + rtol·|expected|. NaN matches only NaN. The message names the first failing
 * index, both values, and the largest differences.
 */
export function expectClose(actual: Numeric, expected: Numeric, options: CloseOptions = {}): void {
  const { rtol = 1e-5, atol = 1e-6, what = 'value' } = options;
  const { actual: a, expected: e, maxAbs, maxRel } = maxDifference(actual, expected);
  if (
    a.shape &&
    e.shape &&
    (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape![i]))
  ) {
    throw new Error(`expectClose(${what}): shape [${a.shape}] differs from expected [${e.shape}]`);
  }
  if (a.values.length !== e.values.length) {
    throw new Error(`expectClose(${what}): ${a.values.length} elements, expected ${e.values.length}`);
  }
  let bad = 0;
  let first = -1;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    const ok = Number.isNaN(y) ? Number.isNaN(x) : Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) {
    throw new Error(
      `expectClose(${what}): ${bad} of ${a.values.length} elements differ beyond atol=${atol}, rtol=${rtol}; ` +
        `first at flat index ${first}: ${a.values[first]} vs expected ${e.values[first]}; ` +
        `max |diff| ${maxAbs.toExponential(3)}, max relative ${maxRel.toExponential(3)}`,
    );
  }
}
