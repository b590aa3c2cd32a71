import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';

/** `max(x, 0)` element-wise, PyTorch's `torch.nn.ReLU` (gradient 0 at 0, as PyTorch). Any shape. */
export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    if (!(x instanceof tf.Tensor)) throw new Error('ReLU.forward: input must be a tf.Tensor');
    return tf.relu(x);
  }
}
