import * as tf from '@tensorflow/tfjs-core';
import { checkRegressionArgs, l1Elements, type RegressionLossOptions } from './l1-loss.js';
import { reduce } from './validate.js';

export interface SmoothL1LossOptions extends RegressionLossOptions {
  /** Where the loss changes from quadratic to linear; ≥ 0. Default 1. beta = 0 is the L1 loss. */
  beta?: number;
}

/** Validates beta. @internal */
export function checkBeta(fn: string, beta: unknown): asserts beta is number {
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) {
    throw new Error(`${fn}: beta must be a finite number >= 0, got ${beta}`);
  }
}

/**
 * The smooth L1 value of each element, written as 0.5·m²/beta + (|d| − m) with m = min(|d|, beta): the same
 * values as PyTorch's piecewise form and the same gradient (d/beta inside, sign(d) at and beyond |d| = beta),
 * without a `where` whose comparison tfjs would try to differentiate. @internal
 */
export function smoothL1Elements(pred: tf.Tensor, target: tf.Tensor, beta: number): tf.Tensor {
  const ad = l1Elements(pred, target);
  if (beta === 0) return ad;
  const m = tf.minimum(ad, beta);
  return tf.add(tf.div(tf.mul(tf.square(m), 0.5), beta), tf.sub(ad, m));
}

/**
 * Smooth L1 (Huber-like) loss, PyTorch's `F.smooth_l1_loss`: with d = pred − target,
 * 0.5·d²/beta where |d| < beta, |d| − 0.5·beta elsewhere; reduced by `reduction` ('mean' default, 'sum',
 * 'none'). `beta` defaults to 1; beta = 0 is exactly the L1 loss (as in PyTorch). `pred` and `target` are
 * float32 of the same shape. The gradient is d/beta inside, sign(d) outside (0 at d = 0). One deliberate
 * difference: with beta = 0, PyTorch 1.13's smooth-L1 kernel gives the gradient −1 at an exact tie d = 0
 * (its `x <= -beta` branch); we give 0, as its own `F.l1_loss` does.
 */
export function smoothL1Loss(
  pred: tf.Tensor,
  target: tf.Tensor,
  options: SmoothL1LossOptions = {},
): tf.Tensor {
  const { reduction = 'mean', beta = 1 } = options;
  checkRegressionArgs('smoothL1Loss', pred, target, reduction);
  checkBeta('smoothL1Loss', beta);
  return tf.tidy(() => reduce(smoothL1Elements(pred, target, beta), reduction));
}
