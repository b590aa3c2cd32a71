import * as tf from '@tensorflow/tfjs-core';
import { checkInt } from './args.js';
import { Module } from './module.js';
import { LINEAR_WEIGHT_LAYOUT } from './tensor-layout.js';

export interface LinearOptions {
  /** Add a learned bias. Default true. */
  bias?: boolean;
}

/**
 * Fully connected layer, PyTorch's `torch.nn.Linear`: `y = x·W + b` over the last axis,
 * `[..., inFeatures]` → `[..., outFeatures]`.
 *
 * - weight stored `[inFeatures, outFeatures]` (tfjs's matMul order); state dict key `weight` in PyTorch's
 *   `[out, in]`, converted on save and load; bias `[outFeatures]`;
 * - initialisation as PyTorch: weight and bias uniform in ±1/√inFeatures.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** `[inFeatures, outFeatures]`. */
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = checkInt('Linear', 'inFeatures', inFeatures, 1);
    this.outFeatures = checkInt('Linear', 'outFeatures', outFeatures, 1);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter(
      'weight',
      tf.randomUniform([inFeatures, outFeatures], -bound, bound),
      {
        layout: LINEAR_WEIGHT_LAYOUT,
      },
    );
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', tf.randomUniform([outFeatures], -bound, bound));
  }

  /** `x`: `[..., inFeatures]` (rank ≥ 1) → `[..., outFeatures]`. */
  forward(x: tf.Tensor): tf.Tensor {
    if (!(x instanceof tf.Tensor) || x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(
        `Linear(${this.inFeatures}, ${this.outFeatures}).forward: input must have last axis ${this.inFeatures}, got shape [${x?.shape ?? 'not a tensor'}]`,
      );
    }
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, this.inFeatures]);
      let y: tf.Tensor = tf.matMul(x2 as tf.Tensor2D, this.weight as tf.Tensor2D);
      if (this.bias) y = tf.add(y, this.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...lead, this.outFeatures]);
    });
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}
