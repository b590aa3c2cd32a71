import * as tf from '@tensorflow/tfjs-core';

export interface GradCheckOptions {
  /** Step of the central difference. Default 1e-2 (tfjs computes in float32). */
  eps?: number;
  /** Tolerances for analytic vs numeric: |a − n| ≤ atol + rtol·|n|. Defaults 1e-2 and 1e-3. */
  rtol?: number;
  atol?: number;
  /** Check at most this many elements of each input, spread evenly. Default: all. */
  maxElements?: number;
  what?: string;
}

export interface GradCheckReport {
  checked: number;
  maxAbsError: number;
  maxRelError: number;
}

/**
 * Finite-difference gradient check: compares `tf.grads(f)` with central differences
 * (f(x + eps·e_i) − f(x − eps·e_i)) / 2eps, element by element, for every input. `f` must return a scalar
 * (or a tensor, which is summed). Keep shapes tiny: each element costs two evaluations of `f`.
 * Throws on the first element out of tolerance; leaks no tensor.
 */
export function gradCheck(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  options: GradCheckOptions = {},
): GradCheckReport {
  const { eps = 1e-2, rtol = 1e-2, atol = 1e-3, maxElements, what = 'f' } = options;
  const scalarF = (...xs: tf.Tensor[]) => {
    const y = f(...xs);
    return y.rank === 0 ? y : tf.sum(y);
  };
  const analytic = tf.tidy(() =>
    tf
      .grads(scalarF)(inputs)
      .map((g) => g.dataSync().slice()),
  );
  let checked = 0;
  let maxAbsError = 0;
  let maxRelError = 0;
  inputs.forEach((x, k) => {
    const base = x.dataSync().slice() as Float32Array;
    const n = base.length;
    const count = maxElements && n > maxElements ? maxElements : n;
    for (let m = 0; m < count; m++) {
      const j = Math.floor((m * n) / count);
      const evalAt = (delta: number) =>
        tf.tidy(() => {
          const v = base.slice();
          v[j] = v[j]! + delta;
          const xs = inputs.map((t, i) => (i === k ? tf.tensor(v, x.shape, x.dtype) : t));
          return scalarF(...xs).dataSync()[0]!;
        });
      const numeric = (evalAt(eps) - evalAt(-eps)) / (2 * eps);
      const a = analytic[k]![j]!;
      const err = Math.abs(a - numeric);
      maxAbsError = Math.max(maxAbsError, err);
      maxRelError = Math.max(maxRelError, err / Math.max(Math.abs(numeric), 1e-12));
      checked++;
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        throw new Error(
          `gradCheck(${what}): input ${k} element ${j}: analytic ${a} vs numeric ${numeric} (|diff| ${err.toExponential(3)}, eps=${eps}, atol=${atol}, rtol=${rtol})`,
        );
      }
    }
  });
  return { checked, maxAbsError, maxRelError };
}
