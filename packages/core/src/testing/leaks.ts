import * as tf from '@tensorflow/tfjs-core';

/** The number of live tensors tfjs-core tracks now. */
export function countTensors(): number {
  return tf.memory().numTensors;
}

/**
 * Runs `fn` (sync or async) and asserts that it leaves no more live tensors than it found, not counting
 * the tensors it returns (and `keep` more that the caller owns on purpose, such as new variables).
 * Returns what `fn` returned.
 */
export async function expectNoLeaks<T>(
  fn: () => T | Promise<T>,
  options: { keep?: number; what?: string } = {},
): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const returned = countReturned(result);
  const after = tf.memory().numTensors;
  const leaked = after - before - returned - (options.keep ?? 0);
  if (leaked !== 0) {
    throw new Error(
      `expectNoLeaks(${options.what ?? 'fn'}): ${leaked > 0 ? `leaked ${leaked}` : `disposed ${-leaked} more than it made of`} tensor(s) ` +
        `(${before} before, ${after} after, ${returned} returned${options.keep ? `, ${options.keep} kept` : ''})`,
    );
  }
  return result;
}

function countReturned(x: unknown, seen = new Set<number>()): number {
  if (x instanceof tf.Tensor) {
    if (x.isDisposed || seen.has(x.id)) return 0;
    seen.add(x.id);
    return 1;
  }
  if (Array.isArray(x)) return x.reduce((n: number, v) => n + countReturned(v, seen), 0);
  if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    return Object.values(x).reduce((n: number, v) => n + countReturned(v, seen), 0);
  }
  return 0;
}
