import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';

export interface FlattenOptions {
  /**
   * Flatten an NHWC input in its own (H, W, C) order. Default false: rank-4 input is flattened in
   * PyTorch's (C, H, W) order, so that a following Linear loaded from a PyTorch checkpoint (VGG's
   * `classifier.0`, fed 512·7·7 features) sees its features where its weights expect them.
   */
  channelsLast?: boolean;
}

/**
 * PyTorch's `torch.nn.Flatten()` (start_dim 1): `[N, ...]` → `[N, prod(...)]`. For NHWC rank-4 input the
 * element order is PyTorch's NCHW order unless `channelsLast` (see `FlattenOptions`); the two agree when
 * H = W = 1.
 */
export class Flatten extends Module {
  readonly channelsLast: boolean;

  constructor(options: FlattenOptions = {}) {
    super();
    this.channelsLast = options.channelsLast ?? false;
  }

  forward(x: tf.Tensor): tf.Tensor2D {
    if (!(x instanceof tf.Tensor) || x.rank < 1) {
      throw new Error(
        `Flatten.forward: input must be a tensor of rank ≥ 1, got shape [${x?.shape ?? 'not a tensor'}]`,
      );
    }
    const n = x.shape[0]!;
    const rest = x.shape.slice(1).reduce((a, b) => a * b, 1);
    if (x.rank === 4 && !this.channelsLast && !(x.shape[1] === 1 && x.shape[2] === 1)) {
      return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, rest]));
    }
    return tf.reshape(x, [n, rest]);
  }

  override extraRepr(): string {
    return this.channelsLast ? 'channels_last=True' : '';
  }
}
