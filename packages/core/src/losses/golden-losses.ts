/**
 * Test-only helpers (not exported from the package): the PyTorch goldens of fixtures/losses/losses.json, made
 * by fixtures/losses/make_losses.py (PyTorch 1.13 CPU), and the golden test the loss test files share.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import type { Reduction } from './validate.js';

/** One golden: the loss of `pred` against `target` (input names) and its gradient w.r.t. `pred`. */
export interface LossCase {
  name: string;
  pred: string;
  target: string;
  reduction: Reduction;
  /** Weights the unreduced loss is summed with before the gradient (reduction 'none'). */
  coef?: number[];
  loss: number | number[];
  grad: number[];
}

export const lossFixture = JSON.parse(
  readFileSync(new URL('../../fixtures/losses/losses.json', import.meta.url), 'utf8'),
);

/**
 * `loss(pred, target)` on the case's inputs, with no tensor leaked, equals PyTorch's loss, and its gradient
 * w.r.t. `pred` (of the sum weighted by `coef`, when given), with no tensor leaked, passes `expectGrad`: by
 * default it equals PyTorch's gradient.
 */
export async function expectLossMatches(
  c: LossCase,
  loss: (pred: tf.Tensor, target: tf.Tensor) => tf.Tensor,
  expectGrad: (grad: tf.Tensor) => void = (grad) => expectClose(grad, c.grad, { what: `${c.name} grad` }),
): Promise<void> {
  const pred = tf.tensor(lossFixture.inputs[c.pred]);
  const target = tf.tensor(lossFixture.inputs[c.target]);
  const coef = c.coef && tf.tensor(c.coef);
  const value = await expectNoLeaks(() => loss(pred, target));
  expectClose(value, c.loss, { what: `${c.name} loss` });
  const grad = await expectNoLeaks(() =>
    tf.grad((p: tf.Tensor) => {
      const l = loss(p, target);
      return coef ? tf.sum(tf.mul(l, coef)) : l;
    })(pred),
  );
  expectGrad(grad);
  tf.dispose([pred, target, value, grad, coef as tf.Tensor]);
}
