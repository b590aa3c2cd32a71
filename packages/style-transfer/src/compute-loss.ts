import * as tf from '@tensorflow/tfjs-core';
import { contentLoss } from './content-loss.js';
import type { Features } from './extract-features.js';
import { styleLoss } from './style-loss.js';
import { tvLoss } from './tv-loss.js';

/** The weights of the three losses. */
export interface LossWeights {
  /** Default 1 (d2l's `content_weight`). */
  content?: number;
  /** Default 1e4 (d2l's `style_weight`). */
  style?: number;
  /** Default 10 (d2l's `tv_weight`). */
  tv?: number;
}

/** d2l's weights: content 1, style 1e4, total variation 10. */
export const DEFAULT_LOSS_WEIGHTS: Readonly<Required<LossWeights>> = Object.freeze({
  content: 1,
  style: 1e4,
  tv: 10,
});

/** What `computeLoss` returns: weighted scalars the caller owns. */
export interface StyleTransferLosses {
  /** `contentLoss · content` per content layer. */
  contents: tf.Scalar[];
  /** `styleLoss · style` per style layer. */
  styles: tf.Scalar[];
  /** `tvLoss(x) · tv`. */
  tv: tf.Scalar;
  /** The sum of all of them (what is minimised). */
  total: tf.Scalar;
}

/** Resolves and validates loss weights. @internal */
export function resolveWeights(fn: string, weights: LossWeights = {}): Required<LossWeights> {
  const w = { ...DEFAULT_LOSS_WEIGHTS, ...weights };
  for (const k of ['content', 'style', 'tv'] as const) {
    if (typeof w[k] !== 'number' || !Number.isFinite(w[k]) || w[k] < 0) {
      throw new Error(`${fn}: lossWeights.${k} must be a finite number ≥ 0, got ${String(w[k])}`);
    }
  }
  return w;
}

/**
 * d2l's `compute_loss`: the weighted content losses, style losses, total variation loss and their sum.
 *
 * @param x the synthesized image `[1, H, W, 3]` (preprocessed), for the TV loss.
 * @param yHat the synthesized image's features (`extractFeatures(net, x, …)`).
 * @param contentsY the content image's content features, one per content layer.
 * @param stylesYGram the Gram matrices of the style image's style features, one per style layer.
 * @param weights default {@link DEFAULT_LOSS_WEIGHTS}.
 */
export function computeLoss(
  x: tf.Tensor,
  yHat: Features,
  contentsY: readonly tf.Tensor[],
  stylesYGram: readonly tf.Tensor[],
  weights: LossWeights = {},
): StyleTransferLosses {
  const fn = 'computeLoss';
  const w = resolveWeights(fn, weights);
  if (!yHat || !Array.isArray(yHat.contents) || !Array.isArray(yHat.styles)) {
    throw new Error(`${fn}: yHat must be { contents, styles } as extractFeatures returns`);
  }
  if (yHat.contents.length !== contentsY.length) {
    throw new Error(
      `${fn}: ${yHat.contents.length} content features of the synthesized image but ${contentsY.length} targets`,
    );
  }
  if (yHat.styles.length !== stylesYGram.length) {
    throw new Error(
      `${fn}: ${yHat.styles.length} style features of the synthesized image but ${stylesYGram.length} Gram matrices`,
    );
  }
  return tf.tidy(() => {
    const contents = yHat.contents.map(
      (y, i) => tf.mul(contentLoss(y, contentsY[i]!), w.content) as tf.Scalar,
    );
    const styles = yHat.styles.map((y, i) => tf.mul(styleLoss(y, stylesYGram[i]!), w.style) as tf.Scalar);
    const tv = tf.mul(tvLoss(x), w.tv) as tf.Scalar;
    const total = tf.addN([...styles, ...contents, tv]) as tf.Scalar;
    return { contents, styles, tv, total };
  });
}
