import * as tf from '@tensorflow/tfjs-core';
import { Adam, type AdamOptions } from './adam.js';
import type { Params } from './optimizer.js';

/**
 * AdamW, PyTorch 1.13's `torch.optim.AdamW`: Adam with decoupled weight decay. Before the Adam update,
 * p ← p·(1 − lr·weightDecay); the gradient itself is not changed. `weightDecay` defaults to 1e-2 (other
 * defaults as {@link Adam}). Same state as Adam.
 */
export class AdamW extends Adam {
  constructor(params: Params, options: AdamOptions = {}) {
    super(params, options, 'AdamW', 1e-2);
  }

  protected override decay(p: tf.Variable, grad: tf.Tensor): tf.Tensor {
    if (this.weightDecay !== 0) p.assign(tf.mul(p, 1 - this.lr * this.weightDecay));
    return grad;
  }
}
