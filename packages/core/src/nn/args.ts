import type * as tf from '@tensorflow/tfjs-core';

/** `[a, b]` from a number or a pair, each an integer ≥ `min` (PyTorch's `_pair`). */
export function pair(
  where: string,
  arg: string,
  value: number | readonly [number, number],
  min: number,
): [number, number] {
  const p: readonly number[] = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= min)) {
    throw new Error(
      `${where}: ${arg} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(value)}`,
    );
  }
  return [p[0]!, p[1]!];
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInt(where: string, arg: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${where}: ${arg} must be an integer ≥ ${min}, got ${String(value)}`);
  return value;
}

/** Throws unless `x` is a rank-4 NHWC tensor with `channels` channels (when given). */
export function checkNhwc(where: string, x: tf.Tensor, channels?: number): void {
  if (x?.rank !== 4) {
    throw new Error(
      `${where}: input must be NHWC [batch, height, width, channels], got shape [${x?.shape ?? 'not a tensor'}]`,
    );
  }
  if (channels !== undefined && x.shape[3] !== channels) {
    throw new Error(
      `${where}: input has ${x.shape[3]} channels (shape [${x.shape}], NHWC), expected ${channels}`,
    );
  }
}
