import * as tf from '@tensorflow/tfjs-core';

/**
 * A map-style dataset, like `torch.utils.data.Dataset`: `length` items, read by index.
 * `get(i)` may be synchronous or return a promise (reading a file, decoding an image).
 *
 * Ownership: every tensor that `get` returns belongs to the caller, which disposes it (the default
 * collate of {@link DataLoader} does, after stacking). A dataset that keeps tensors hands out clones.
 */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T | Promise<T>;
}

/** Throws unless `index` is an integer in [0, length). */
export function checkIndex(fn: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new Error(`${fn}: index ${index} is out of range for a dataset of length ${length}`);
  }
}

/**
 * A copy of `value` whose tensors are `tf.clone`s (shared data, no copy; disposing the clone leaves the
 * original alive), walking arrays and plain objects. Other values are returned as they are.
 */
export function cloneTensors<T>(value: T): T {
  if (value instanceof tf.Tensor) return tf.clone(value) as T;
  if (Array.isArray(value)) return value.map((v) => cloneTensors(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneTensors(v)])) as T;
  }
  return value;
}

/**
 * A dataset over an in-memory array. Tensors inside items are handed out as clones, so a consumer that
 * disposes what it gets (the default collate) leaves the array usable for the next epoch; the caller
 * still owns, and disposes, the tensors it put in.
 */
export class ArrayDataset<T> implements Dataset<T> {
  constructor(private readonly items: readonly T[]) {
    if (!Array.isArray(items)) throw new Error(`ArrayDataset: items must be an array, got ${typeof items}`);
  }

  get length(): number {
    return this.items.length;
  }

  get(index: number): T {
    checkIndex('ArrayDataset.get', index, this.items.length);
    return cloneTensors(this.items[index]!);
  }
}

/**
 * Like `torch.utils.data.TensorDataset`: item `i` is `[t0[i], t1[i], ...]`, slices along axis 0 of tensors
 * that share their first dimension. Each slice is a new tensor owned by the caller; the dataset keeps the
 * tensors it was given (the caller disposes them when done).
 */
export class TensorDataset implements Dataset<tf.Tensor[]> {
  readonly length: number;
  private readonly tensors: tf.Tensor[];

  constructor(...tensors: tf.Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset: expected at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof tf.Tensor) || t.rank === 0) {
        throw new Error(
          `TensorDataset: argument ${i} must be a tensor of rank ≥ 1, got ${t instanceof tf.Tensor ? 'a scalar' : typeof t}`,
        );
      }
    });
    const n = tensors[0]!.shape[0]!;
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw new Error(
          `TensorDataset: tensor ${i} has shape [${t.shape}] but tensor 0 has ${n} rows; all must share the first dimension`,
        );
      }
    });
    this.length = n;
    this.tensors = tensors;
  }

  get(index: number): tf.Tensor[] {
    checkIndex('TensorDataset.get', index, this.length);
    return this.tensors.map((t) => tf.tidy(() => tf.squeeze(tf.slice(t, index, 1), [0])));
  }
}

/**
 * A dataset whose item `i` is `fn(dataset.get(i), i)` (sync or async): transforms such as decoding,
 * cropping or normalization applied lazily. `fn` owns its input: dispose input tensors it does not return
 * (or compute inside `tf.tidy`).
 */
export function mapDataset<T, U>(
  dataset: Dataset<T>,
  fn: (item: T, index: number) => U | Promise<U>,
): Dataset<U> {
  if (!dataset || typeof dataset.get !== 'function' || typeof dataset.length !== 'number') {
    throw new Error('mapDataset: dataset must have a numeric length and a get(index) method');
  }
  if (typeof fn !== 'function') throw new Error(`mapDataset: fn must be a function, got ${typeof fn}`);
  return {
    get length() {
      return dataset.length;
    },
    get(index: number) {
      checkIndex('mapDataset.get', index, dataset.length);
      const item = dataset.get(index);
      return item instanceof Promise ? item.then((v) => fn(v, index)) : fn(item, index);
    },
  };
}
