import * as tf from '@tensorflow/tfjs-core';

/** What {@link defaultCollate} makes of a batch of items of type `T` (PyTorch's `default_collate` rules). */
export type Collated<T> = T extends tf.Tensor
  ? tf.Tensor
  : T extends number | boolean
    ? tf.Tensor1D
    : T extends string
      ? string[]
      : T extends ArrayBufferView
        ? tf.Tensor2D
        : T extends readonly unknown[]
          ? { [K in keyof T]: Collated<T[K]> }
          : T extends object
            ? { [K in keyof T]: Collated<T[K]> }
            : T[];

function describe(x: unknown): string {
  if (x instanceof tf.Tensor) return `a tensor of shape [${x.shape}] (${x.dtype})`;
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (x === null) return 'null';
  return typeof x;
}

interface Ledger {
  made: tf.Tensor[];
  consumed: tf.Tensor[];
}

function collateAt(items: unknown[], path: string, ledger: Ledger): unknown {
  const first = items[0];
  const where = path ? ` at ${path}` : '';
  const mismatch = (i: number) =>
    new Error(`defaultCollate: item ${i}${where} is ${describe(items[i])} but item 0 is ${describe(first)}`);

  if (first instanceof tf.Tensor) {
    items.forEach((x, i) => {
      if (
        !(x instanceof tf.Tensor) ||
        x.dtype !== first.dtype ||
        x.shape.length !== first.shape.length ||
        (x.shape as number[]).some((d: number, k: number) => d !== first.shape[k])
      ) {
        throw mismatch(i);
      }
    });
    const tensors = items as tf.Tensor[];
    const stacked = tf.stack(tensors);
    ledger.made.push(stacked);
    ledger.consumed.push(...tensors);
    return stacked;
  }
  if (typeof first === 'number') {
    items.forEach((x, i) => {
      if (typeof x !== 'number') throw mismatch(i);
    });
    const nums = items as number[];
    return made(ledger, tf.tensor1d(nums, nums.every(Number.isInteger) ? 'int32' : 'float32'));
  }
  if (typeof first === 'boolean') {
    items.forEach((x, i) => {
      if (typeof x !== 'boolean') throw mismatch(i);
    });
    return made(ledger, tf.tensor1d(items as boolean[], 'bool'));
  }
  if (typeof first === 'string') {
    items.forEach((x, i) => {
      if (typeof x !== 'string') throw mismatch(i);
    });
    return items;
  }
  if (ArrayBuffer.isView(first) && !(first instanceof DataView)) {
    const n = (first as unknown as ArrayLike<number>).length;
    const ctor = first.constructor;
    items.forEach((x, i) => {
      if (
        !ArrayBuffer.isView(x) ||
        x.constructor !== ctor ||
        (x as unknown as ArrayLike<number>).length !== n
      )
        throw mismatch(i);
    });
    const isFloat = first instanceof Float32Array || first instanceof Float64Array;
    const flat = isFloat ? new Float32Array(items.length * n) : new Int32Array(items.length * n);
    items.forEach((x, i) => {
      flat.set(x as unknown as ArrayLike<number>, i * n);
    });
    return made(ledger, tf.tensor2d(flat, [items.length, n], isFloat ? 'float32' : 'int32'));
  }
  if (Array.isArray(first)) {
    items.forEach((x, i) => {
      if (!Array.isArray(x) || x.length !== first.length) throw mismatch(i);
    });
    return first.map((_, k) =>
      collateAt(
        items.map((x) => (x as unknown[])[k]),
        `${path}[${k}]`,
        ledger,
      ),
    );
  }
  if (first && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const keys = Object.keys(first);
    items.forEach((x, i) => {
      if (!x || typeof x !== 'object' || Array.isArray(x) || keys.some((k) => !(k in x))) throw mismatch(i);
    });
    return Object.fromEntries(
      keys.map((k) => [
        k,
        collateAt(
          items.map((x) => (x as Record<string, unknown>)[k]),
          path ? `${path}.${k}` : k,
          ledger,
        ),
      ]),
    );
  }
  // null, undefined, class instances: passed through as an array, as PyTorch does for unknown types.
  return items;
}

function made<T extends tf.Tensor>(ledger: Ledger, t: T): T {
  ledger.made.push(t);
  return t;
}

/**
 * Collates a list of dataset items into one batch, following PyTorch's `default_collate`:
 * - tensors of one shape and dtype → `tf.stack` (a new leading batch axis); the item tensors are
 *   **disposed** after stacking (the batch owns the data); on an error nothing is disposed or leaked;
 * - numbers → a 1-D tensor, `int32` if all are integers, else `float32`; booleans → a `bool` tensor;
 * - typed arrays of one length → a `[B, n]` tensor (`float32` for Float32/64Array, else `int32`);
 * - strings → a string array; arrays (tuples) → collated position by position; plain objects → key by key;
 * - anything else (null, class instances) → the array of items.
 * Throws, naming the item and the path inside it, when items do not match.
 */
export function defaultCollate<T>(items: T[]): Collated<T> {
  if (!Array.isArray(items) || items.length === 0) {
    throw new Error(
      `defaultCollate: expected a non-empty array of items, got ${Array.isArray(items) ? 'an empty array' : typeof items}`,
    );
  }
  const ledger: Ledger = { made: [], consumed: [] };
  let batch: unknown;
  try {
    batch = collateAt(items, '', ledger);
  } catch (err) {
    // Nothing half-made survives an error, and the items stay with the caller.
    for (const t of ledger.made) t.dispose();
    throw err;
  }
  for (const t of new Set(ledger.consumed)) t.dispose();
  return batch as Collated<T>;
}
