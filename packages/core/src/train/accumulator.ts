import type * as tf from '@tensorflow/tfjs-core';
import { readScalars } from './read-scalars.js';

/**
 * Sums over `n` variables, d2l's `Accumulator`: a training loop adds, per step, the loss sum, the number of
 * correct predictions and the number of examples, and divides at the end of the epoch.
 *
 * @example
 * const metric = new Accumulator(3); // loss sum, correct, examples
 * await metric.addAsync([lossSum, countCorrect(yHat, y), batchSize]); // one device read
 * const trainLoss = metric.get(0) / metric.get(2);
 */
export class Accumulator {
  private sums: number[];

  /** @param n how many sums to keep (an integer ≥ 1). */
  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`Accumulator: n must be an integer ≥ 1, got ${String(n)}`);
    this.sums = new Array<number>(n).fill(0);
  }

  /** Adds `values[i]` to sum `i`; exactly `n` finite or non-finite numbers (NaN propagates, as in d2l). */
  add(...values: number[]): void {
    if (values.length !== this.n) {
      throw new Error(`Accumulator.add: expected ${this.n} values, got ${values.length}`);
    }
    values.forEach((v, i) => {
      if (typeof v !== 'number')
        throw new Error(`Accumulator.add: value ${i} is ${typeof v}; expected a number`);
    });
    for (let i = 0; i < this.n; i++) this.sums[i]! += values[i]!;
  }

  /**
   * Like {@link add}, but the values may be one-element tensors: they are all read with one device read
   * ({@link readScalars}). The tensors stay the caller's unless `options.dispose` is true.
   */
  async addAsync(
    values: readonly (number | tf.Tensor)[],
    options: { dispose?: boolean } = {},
  ): Promise<void> {
    if (!Array.isArray(values) || values.length !== this.n) {
      throw new Error(
        `Accumulator.addAsync: expected an array of ${this.n} values, got ${Array.isArray(values) ? `${values.length} values` : typeof values}`,
      );
    }
    this.add(...(await readScalars(values, options)));
  }

  /** Sum `i`. */
  get(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.n) {
      throw new Error(`Accumulator.get: index must be an integer in [0, ${this.n - 1}], got ${String(i)}`);
    }
    return this.sums[i]!;
  }

  /** A copy of all sums. */
  get data(): number[] {
    return [...this.sums];
  }

  /** Sets every sum back to 0. */
  reset(): void {
    this.sums.fill(0);
  }
}
