import type * as tf from '@tensorflow/tfjs-core';

/** An integer for both spatial axes, or `[height, width]` (PyTorch's `int or tuple`). */
export type IntPair = number | readonly [number, number];

/** `[a, b]` from a number or a pair, each an integer ≥ `min` (PyTorch's `_pair`); the error names `where` and `arg`. */
export function toPair(where: string, arg: string, value: IntPair, min: number): [number, number] {
  const p: readonly unknown[] = typeof value === 'number' ? [value, value] : (value as readonly unknown[]);
  if (
    !Array.isArray(p) ||
    p.length !== 2 ||
    !p.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min)
  ) {
    throw new Error(
      `${where}: ${arg} must be an integer ≥ ${min} or a pair [height, width] of them, got ${JSON.stringify(value)}`,
    );
  }
  return [p[0] as number, p[1] as number];
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInt(where: string, arg: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`${where}: ${arg} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Throws unless `x` is a live tensor of the given rank. */
export function checkTensor(where: string, arg: string, x: unknown, rank: number, layout: string): tf.Tensor {
  const t = x as tf.Tensor | undefined;
  if (t == null || typeof t !== 'object' || !Array.isArray(t.shape) || typeof t.rank !== 'number') {
    throw new Error(`${where}: ${arg} must be a tf.Tensor of shape ${layout}, got ${String(x)}`);
  }
  if (t.isDisposed) throw new Error(`${where}: ${arg} was disposed`);
  if (t.rank !== rank) {
    throw new Error(`${where}: ${arg} must have rank ${rank} (${layout}), got shape [${t.shape}]`);
  }
  if (t.dtype !== 'float32') {
    throw new Error(`${where}: ${arg} must be float32, got ${t.dtype} (shape [${t.shape}])`);
  }
  return t;
}
