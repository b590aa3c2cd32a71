import * as tf from '@tensorflow/tfjs-core';
import { checkInt, checkNhwc } from './args.js';
import { Module } from './module.js';

export interface BatchNorm2dOptions {
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /**
   * Weight of the new batch in the running statistics: `running = (1 − momentum)·running + momentum·batch`.
   * Default 0.1. `null`: cumulative average (momentum 1/num_batches_tracked), as PyTorch's `momentum=None`.
   */
  momentum?: number | null;
  /** Learned per-channel scale `weight` (init 1) and shift `bias` (init 0). Default true. */
  affine?: boolean;
  /** Keep `running_mean`, `running_var`, `num_batches_tracked` buffers and use them in eval mode. Default true. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalization over `[N, H, W]` per channel: PyTorch's `torch.nn.BatchNorm2d` on NHWC tensors.
 *
 * - training mode (or `trackRunningStats: false`): normalizes with the batch's mean and biased variance;
 *   in training mode with running stats it also updates, outside the computation that gradients see,
 *   `num_batches_tracked += 1`, `running_mean` and `running_var` — the latter with the *unbiased* batch
 *   variance (·n/(n−1), n = N·H·W), exactly as PyTorch. One value per channel is an error in training,
 *   as in PyTorch;
 * - eval mode: normalizes with `running_mean` / `running_var`;
 * - state dict: `weight`, `bias` `[C]`; buffers `running_mean`, `running_var` `[C]` (float32) and
 *   `num_batches_tracked` `[]` (int32 here, int64 in PyTorch: converted on load). A checkpoint without
 *   `num_batches_tracked` (torchvision's pre-1.0 weights) loads strictly, and it is reset to 0.
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;
  readonly runningMean: tf.Variable | null;
  readonly runningVar: tf.Variable | null;
  readonly numBatchesTracked: tf.Variable | null;

  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    super();
    const where = 'BatchNorm2d';
    this.numFeatures = checkInt(where, 'numFeatures', numFeatures, 1);
    this.eps = options.eps ?? 1e-5;
    if (!(this.eps > 0)) throw new Error(`${where}: eps must be > 0, got ${this.eps}`);
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`${where}: momentum must be in [0, 1] or null, got ${this.momentum}`);
    }
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.weight = this.affine ? this.registerParameter('weight', tf.ones([numFeatures])) : null;
    this.bias = this.affine ? this.registerParameter('bias', tf.zeros([numFeatures])) : null;
    if (this.trackRunningStats) {
      this.runningMean = this.registerBuffer('running_mean', tf.zeros([numFeatures]));
      this.runningVar = this.registerBuffer('running_var', tf.ones([numFeatures]));
      this.numBatchesTracked = this.registerBuffer('num_batches_tracked', tf.scalar(0, 'int32'), {
        optional: true,
      });
    } else {
      this.runningMean = this.runningVar = this.numBatchesTracked = null;
    }
  }

  /** `x`: `[N, H, W, numFeatures]` → same shape. */
  forward(x: tf.Tensor): tf.Tensor4D {
    const where = `BatchNorm2d(${this.numFeatures}).forward`;
    checkNhwc(where, x, this.numFeatures);
    const [n, h, w] = x.shape as [number, number, number, number];
    const count = n * h * w;
    const useBatchStats = this.training || !this.trackRunningStats;
    if (this.training && count <= 1) {
      throw new Error(
        `${where}: expected more than 1 value per channel when training, got input shape [${x.shape}] (as PyTorch)`,
      );
    }
    return tf.tidy(() => {
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (useBatchStats) {
        ({ mean, variance } = tf.moments(x, [0, 1, 2]));
        if (this.training && this.trackRunningStats) this.updateRunningStats(mean, variance, count);
      } else {
        mean = this.runningMean!;
        variance = this.runningVar!;
      }
      let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      if (this.weight && this.bias) y = tf.add(tf.mul(y, this.weight), this.bias);
      return y as tf.Tensor4D;
    });
  }

  /**
   * PyTorch's update of the running statistics from a training batch's `mean` and biased variance over
   * `count` values per channel, in place with `assign`; reads nothing back from the device. For subclasses
   * with their own training forward.
   */
  protected updateRunningStats(mean: tf.Tensor, biasedVar: tf.Tensor, count: number): void {
    tf.tidy(() => {
      const nbt = tf.add(this.numBatchesTracked!, tf.scalar(1, 'int32'));
      this.numBatchesTracked!.assign(nbt);
      const factor: tf.Tensor | number =
        this.momentum === null ? tf.div(1, tf.cast(nbt, 'float32')) : this.momentum;
      const keep = typeof factor === 'number' ? 1 - factor : tf.sub(1, factor);
      const unbiased = tf.mul(biasedVar, count / (count - 1));
      this.runningMean!.assign(tf.add(tf.mul(this.runningMean!, keep), tf.mul(mean, factor)));
      this.runningVar!.assign(tf.add(tf.mul(this.runningVar!, keep), tf.mul(unbiased, factor)));
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum ?? 'None'}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}
