import * as tf from '@tensorflow/tfjs-core';

/**
 * A tensor given as plain data, in PyTorch's layout: what a safetensors or JSON reader produces.
 * `data` is row-major with `shape`'s product elements; integer and BigInt arrays are accepted
 * (they are converted to the parameter's or buffer's dtype on load).
 */
export interface RawTensor {
  shape: readonly number[];
  data: ArrayLike<number> | BigInt64Array | BigUint64Array;
}

/** One value of a state dict given to `loadStateDict`: a tf.Tensor (not disposed by loading) or plain data. */
export type StateDictEntry = tf.Tensor | RawTensor;

/**
 * What `loadStateDict` accepts: PyTorch names → tensors in PyTorch's layout (conv weights OIHW,
 * Linear weights `[out, in]`). A `Map` or a plain object.
 */
export type StateDictInput = Map<string, StateDictEntry> | Record<string, StateDictEntry>;

/**
 * What `stateDict()` returns: PyTorch names → new tensors in PyTorch's layout, in PyTorch's order
 * (a module's parameters, then its buffers, then its children's entries). The caller owns the tensors
 * (dispose them, e.g. with `tf.dispose(Object.values(dict))`).
 */
export type StateDict = Record<string, tf.Tensor>;

/** What `loadStateDict` returns (PyTorch's `_IncompatibleKeys`): empty lists when `strict` is true. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export interface ShapeMismatch {
  key: string;
  /** The checkpoint's shape. */
  got: number[];
  /** The shape the module expects, in PyTorch's layout. */
  expected: number[];
}

export interface InvalidEntry {
  key: string;
  reason: string;
}

/**
 * Thrown by `loadStateDict` when a state dict does not fit: it lists every missing key, unexpected key,
 * shape mismatch and unreadable entry at once. Nothing was loaded when it is thrown.
 */
export class StateDictError extends Error {
  override name = 'StateDictError';
  constructor(
    readonly moduleName: string,
    readonly missingKeys: string[],
    readonly unexpectedKeys: string[],
    readonly shapeMismatches: ShapeMismatch[],
    readonly invalidEntries: InvalidEntry[],
  ) {
    const lines: string[] = [];
    if (missingKeys.length) lines.push(`  missing keys (${missingKeys.length}): ${missingKeys.join(', ')}`);
    if (unexpectedKeys.length)
      lines.push(`  unexpected keys (${unexpectedKeys.length}): ${unexpectedKeys.join(', ')}`);
    if (shapeMismatches.length) {
      lines.push(
        `  shape mismatches (${shapeMismatches.length}, PyTorch layout): ` +
          shapeMismatches.map((m) => `${m.key}: checkpoint [${m.got}], model [${m.expected}]`).join('; '),
      );
    }
    if (invalidEntries.length) {
      lines.push(
        `  invalid entries (${invalidEntries.length}): ${invalidEntries.map((e) => `${e.key}: ${e.reason}`).join('; ')}`,
      );
    }
    const count = missingKeys.length + unexpectedKeys.length + shapeMismatches.length + invalidEntries.length;
    super(`loadStateDict(${moduleName}): ${count} problem(s), nothing was loaded:\n${lines.join('\n')}`);
  }
}

/** The entries of a state dict in insertion order. */
export function stateDictEntries(dict: StateDictInput): Array<[string, StateDictEntry]> {
  if (dict instanceof Map) return [...dict.entries()];
  if (dict === null || typeof dict !== 'object') {
    throw new Error(
      `loadStateDict: state dict must be a Map or an object of tensors, got ${dict === null ? 'null' : typeof dict}`,
    );
  }
  return Object.entries(dict);
}

/** The shape of an entry, or a reason why it cannot be read. */
export function entryShape(entry: StateDictEntry): { shape: number[] } | { reason: string } {
  if (entry instanceof tf.Tensor) {
    if (entry.isDisposed) return { reason: 'tensor is disposed' };
    return { shape: [...entry.shape] };
  }
  if (entry === null || typeof entry !== 'object' || !Array.isArray(entry.shape) || entry.data == null) {
    return { reason: 'expected a tf.Tensor or {shape: number[], data}' };
  }
  const { shape, data } = entry;
  if (!shape.every((d) => Number.isInteger(d) && d >= 0))
    return { reason: `shape [${shape}] is not a list of non-negative integers` };
  const size = shape.reduce((a, b) => a * b, 1);
  if (typeof data.length !== 'number' || data.length !== size) {
    return { reason: `data has ${String(data.length)} elements, shape [${shape}] needs ${size}` };
  }
  return { shape: [...shape] };
}

/** A tensor of `dtype` from an entry already checked by `entryShape` (a new tensor, or `entry` itself cast). */
export function entryToTensor(entry: StateDictEntry, dtype: tf.DataType): tf.Tensor {
  if (entry instanceof tf.Tensor) return entry.dtype === dtype ? tf.clone(entry) : tf.cast(entry, dtype);
  const { shape, data } = entry;
  const values =
    data instanceof BigInt64Array || data instanceof BigUint64Array
      ? Float64Array.from(data, (v) => Number(v))
      : data;
  if (dtype === 'int32')
    return tf.tensor(
      Int32Array.from(values as ArrayLike<number>, (v) => Math.round(v)),
      [...shape],
      'int32',
    );
  if (dtype === 'bool')
    return tf.tensor(
      Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0)),
      [...shape],
      'bool',
    );
  return tf.tensor(Float32Array.from(values as ArrayLike<number>), [...shape], 'float32');
}
