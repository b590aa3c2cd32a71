import * as tf from '@tensorflow/tfjs-core';
import { type Collated, defaultCollate } from './collate.js';
import type { Dataset } from './dataset.js';
import { epochSeed, Rng } from './rng.js';

export interface DataLoaderOptions<T, B> {
  /** Items per batch. Default 1. */
  batchSize?: number;
  /** Shuffle the order every epoch (seeded: see `seed`). Default false. */
  shuffle?: boolean;
  /**
   * Seed of the shuffle. Epoch `e` is shuffled by `new Rng(epochSeed(seed, e))`, so a seed reproduces the
   * order of every epoch across runs while consecutive epochs differ. Default 0.
   */
  seed?: number;
  /** Drop the last batch when it is smaller than `batchSize` (PyTorch's `drop_last`). Default false. */
  dropLast?: boolean;
  /** Turns a list of items into a batch. Default {@link defaultCollate} (stacks and disposes tensors). */
  collate?: (items: T[]) => B | Promise<B>;
  /**
   * How many batches to load ahead of the one the consumer holds: while the loop body works on batch k,
   * batches k+1..k+prefetch are being read and collated. 0 loads each batch only when it is asked for.
   * Default 1.
   */
  prefetch?: number;
}

/** Disposes the tensors in a batch (arrays and plain objects are walked, as `tf.dispose` does). */
function disposeBatch(batch: unknown): void {
  const seen = new Set<unknown>();
  const walk = (x: unknown) => {
    if (x instanceof tf.Tensor) {
      if (!x.isDisposed) x.dispose();
      return;
    }
    if (!x || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (Array.isArray(x)) x.forEach(walk);
    else if (Object.getPrototypeOf(x) === Object.prototype) Object.values(x).forEach(walk);
  };
  walk(batch);
}

function positiveInt(fn: string, name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min)
    throw new Error(`${fn}: ${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/**
 * Batches a {@link Dataset}, like `torch.utils.data.DataLoader` (single process): iterate it with
 * `for await (const batch of loader)`. Each iteration is one epoch; the loader counts them (`epoch`).
 *
 * - Order: `0..n-1`, or with `shuffle` a permutation drawn from `seed` and the epoch number
 *   (see {@link epochSeed}); {@link DataLoader.indices} shows it.
 * - Batches: `batchSize` items each (items are read concurrently, `get` may be async), the last one
 *   smaller unless `dropLast`. `length` is the number of batches per epoch.
 * - Prefetch: `prefetch` batches load while the consumer works on the current one.
 * - Ownership: the consumer owns each batch and disposes it. Batches loaded ahead and not consumed (the loop
 *   ended with `break` or threw) are disposed by the loader.
 *
 * @example
 * const loader = new DataLoader(dataset, { batchSize: 32, shuffle: true, seed: 1 });
 * for (let e = 0; e < 10; e++) {
 *   for await (const [x, y] of loader) { ...; tf.dispose([x, y]); }
 * }
 */
export class DataLoader<T, B = Collated<T>> implements AsyncIterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly prefetch: number;
  private readonly collate: (items: T[]) => B | Promise<B>;
  private epochsStarted = 0;

  constructor(
    readonly dataset: Dataset<T>,
    options: DataLoaderOptions<T, B> = {},
  ) {
    if (
      !dataset ||
      typeof dataset.get !== 'function' ||
      !Number.isInteger(dataset.length) ||
      dataset.length < 0
    ) {
      throw new Error('DataLoader: dataset must have an integer length ≥ 0 and a get(index) method');
    }
    this.batchSize = positiveInt('DataLoader', 'batchSize', options.batchSize ?? 1, 1);
    this.prefetch = positiveInt('DataLoader', 'prefetch', options.prefetch ?? 1, 0);
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 0;
    if (!Number.isInteger(this.seed))
      throw new Error(`DataLoader: seed must be an integer, got ${this.seed}`);
    this.dropLast = options.dropLast ?? false;
    this.collate = options.collate ?? (defaultCollate as unknown as (items: T[]) => B);
    if (typeof this.collate !== 'function')
      throw new Error(`DataLoader: collate must be a function, got ${typeof this.collate}`);
  }

  /** Batches per epoch: ⌊n / batchSize⌋ with `dropLast`, else ⌈n / batchSize⌉. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** How many epochs have been started by iterating the loader (the next `for await` runs epoch `epoch`). */
  get epoch(): number {
    return this.epochsStarted;
  }

  /** Sets the number of the next epoch (to resume a run, like PyTorch's `sampler.set_epoch`). */
  setEpoch(epoch: number): void {
    this.epochsStarted = positiveInt('DataLoader.setEpoch', 'epoch', epoch, 0);
  }

  /** The dataset indices of epoch `epoch`, in the order the loader reads them (before batching). */
  indices(epoch: number): number[] {
    positiveInt('DataLoader.indices', 'epoch', epoch, 0);
    const n = this.dataset.length;
    if (!this.shuffle) return Array.from({ length: n }, (_, i) => i);
    return new Rng(epochSeed(this.seed, epoch)).permutation(n);
  }

  [Symbol.asyncIterator](): AsyncIterator<B> {
    return this.iterate(this.epochsStarted++)[Symbol.asyncIterator]();
  }

  /** The batches of epoch `epoch` (does not advance the loader's epoch counter). */
  async *iterate(epoch: number): AsyncGenerator<B, void, undefined> {
    const order = this.indices(epoch);
    const count = this.length;
    const loadBatch = async (k: number): Promise<B> => {
      const idx = order.slice(k * this.batchSize, (k + 1) * this.batchSize);
      const settled = await Promise.allSettled(idx.map(async (i) => this.dataset.get(i)));
      const items = settled
        .filter((s): s is PromiseFulfilledResult<Awaited<T>> => s.status === 'fulfilled')
        .map((s) => s.value as T);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) {
        disposeBatch(items);
        throw failed.reason;
      }
      try {
        return await this.collate(items);
      } catch (err) {
        disposeBatch(items);
        throw err;
      }
    };

    const pending: Promise<B>[] = [];
    let started = 0;
    const startNext = () => {
      if (started >= count) return;
      const p = loadBatch(started++);
      p.catch(() => {}); // reported when the consumer reaches this batch, not as an unhandled rejection
      pending.push(p);
    };
    try {
      while (started < Math.min(count, 1 + this.prefetch)) startNext();
      for (;;) {
        if (pending.length === 0) {
          if (started >= count) break;
          startNext();
        }
        const batch = await pending.shift()!;
        while (started < count && pending.length < this.prefetch) startNext();
        yield batch;
      }
    } finally {
      // The loop ended early: batches loaded ahead belong to nobody; dispose them.
      for (const p of pending.splice(0)) {
        try {
          disposeBatch(await p);
        } catch {
          // An error in a batch nobody asked for is not the consumer's error.
        }
      }
    }
  }
}
