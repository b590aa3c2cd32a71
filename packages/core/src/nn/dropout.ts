import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';

/**
 * PyTorch's `torch.nn.Dropout`: in training mode zeroes each element with probability `p` and scales the
 * rest by 1/(1−p) (`p = 1` gives zeros); in eval mode the identity. Any shape.
 */
export class Dropout extends Module {
  readonly p: number;

  /** `p`: drop probability in [0, 1], default 0.5. */
  constructor(p = 0.5) {
    super();
    if (!(typeof p === 'number' && p >= 0 && p <= 1))
      throw new Error(`Dropout: p must be a probability in [0, 1], got ${String(p)}`);
    this.p = p;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!(x instanceof tf.Tensor)) throw new Error('Dropout.forward: input must be a tf.Tensor');
    if (!this.training || this.p === 0) return tf.clone(x);
    if (this.p === 1) return tf.zerosLike(x);
    return tf.dropout(x, this.p);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
