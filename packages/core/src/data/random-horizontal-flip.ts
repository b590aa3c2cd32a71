import * as tf from '@tensorflow/tfjs-core';
import { checkImageAndLabel, type JointResult } from './random-crop.js';
import { type RandomSource, uniform } from './rng.js';

export interface RandomFlipOptions {
  /** Probability of flipping. Default 0.5 (torchvision's `RandomHorizontalFlip`). */
  p?: number;
  /** Boxes `[..., 4]` as corners `[x1, y1, x2, y2]`, flipped with the image. */
  boxes?: tf.Tensor;
  /** 'normalized' (default): x in [0, 1], x' = 1 − x. 'pixels': x in [0, W], x' = W − x. */
  boxFormat?: 'normalized' | 'pixels';
}

/**
 * Flips `[x1, y1, x2, y2]` boxes (shape `[..., 4]`) left-right in an image of width `width`
 * (1 for normalized boxes): `[width − x2, y1, width − x1, y2]`, so x1 ≤ x2 still holds.
 */
export function flipBoxesHorizontal(boxes: tf.Tensor, width = 1): tf.Tensor {
  if (!(boxes instanceof tf.Tensor) || boxes.rank < 1 || boxes.shape[boxes.rank - 1] !== 4) {
    throw new Error(
      `flipBoxesHorizontal: boxes must be a tensor [..., 4] of [x1, y1, x2, y2], got ${boxes instanceof tf.Tensor ? `shape [${boxes.shape}]` : typeof boxes}`,
    );
  }
  return tf.tidy(() => {
    const [x1, y1, x2, y2] = tf.split(boxes, 4, -1);
    return tf.concat([tf.sub(width, x2!), y1!, tf.sub(width, x1!), y2!], -1);
  });
}

/**
 * Flips an image, its label map and its boxes left-right together with probability `p` (one draw from
 * `rng` for all of them), like torchvision's `RandomHorizontalFlip` applied jointly. The inputs are not
 * disposed; the outputs are always new tensors (clones when not flipped), so the caller can dispose
 * inputs and outputs alike.
 *
 * @param image `[H, W, C]`.
 * @param label `[H, W]` or `[H, W, K]`, or null/undefined.
 * @returns image, label, boxes (undefined when not given) and whether it flipped.
 */
export function randomHorizontalFlip<I extends tf.Tensor3D, L extends tf.Tensor | undefined = undefined>(
  image: I,
  label: L | null,
  rng: RandomSource,
  options: RandomFlipOptions = {},
): JointResult<I, L> & { boxes: tf.Tensor | undefined; flipped: boolean } {
  checkImageAndLabel('randomHorizontalFlip', image, label);
  const p = options.p ?? 0.5;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    throw new Error(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  const format = options.boxFormat ?? 'normalized';
  if (format !== 'normalized' && format !== 'pixels') {
    throw new Error(
      `randomHorizontalFlip: boxFormat must be 'normalized' or 'pixels', got '${String(format)}'`,
    );
  }
  const { boxes } = options;
  if (boxes !== undefined && (!(boxes instanceof tf.Tensor) || boxes.shape[boxes.rank - 1] !== 4)) {
    throw new Error(
      `randomHorizontalFlip: boxes must be a tensor [..., 4] of [x1, y1, x2, y2], got ${boxes instanceof tf.Tensor ? `shape [${boxes.shape}]` : typeof boxes}`,
    );
  }
  const flipped = uniform(rng)() < p;
  const flip = <T extends tf.Tensor>(x: T): T => (flipped ? (tf.reverse(x, 1) as T) : (tf.clone(x) as T));
  const width = format === 'pixels' ? image.shape[1] : 1;
  return {
    image: flip(image),
    label: (label == null ? undefined : flip(label)) as L,
    boxes: boxes === undefined ? undefined : flipped ? flipBoxesHorizontal(boxes, width) : tf.clone(boxes),
    flipped,
  };
}
