import { type RandomSource, randomCrop } from '@cv/core';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * d2l's `voc_rand_crop(feature, label, height, width)`: the same random `height x width` rectangle cut out of
 * an image `[H, W, C]` and its label map `[H, W]` (torchvision `RandomCrop.get_params` + `F.crop` on both).
 * Throws, naming both sizes, if the image is smaller than the crop.
 *
 * @param rng a seeded `Rng` from @cv/core, or any `() => number` (default `Math.random`, as torch's global RNG).
 * @returns `[feature, label]` (new tensors; the inputs are not disposed).
 */
export function vocRandCrop<L extends tf.Tensor>(
  feature: tf.Tensor3D,
  label: L,
  height: number,
  width: number,
  rng: RandomSource = Math.random,
): [tf.Tensor3D, L] {
  const r = randomCrop(feature, label, [height, width], rng);
  return [r.image, r.label as L];
}
