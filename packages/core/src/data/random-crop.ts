import * as tf from '@tensorflow/tfjs-core';
import { type RandomSource, randomInt } from './rng.js';

/** A crop rectangle in pixels: rows `top..top+height-1`, columns `left..left+width-1`. */
export interface CropRect {
  top: number;
  left: number;
  height: number;
  width: number;
}

export interface JointResult<I extends tf.Tensor, L extends tf.Tensor | undefined> {
  image: I;
  /** The label transformed the same way (undefined when none was given). */
  label: L;
}

function hw(x: tf.Tensor): [number, number] {
  return [x.shape[0]!, x.shape[1]!];
}

/** Checks an `[H, W, C]` image and an optional `[H, W]` or `[H, W, K]` label of the same height and width. */
export function checkImageAndLabel(fn: string, image: tf.Tensor, label: tf.Tensor | null | undefined): void {
  if (!(image instanceof tf.Tensor) || image.rank !== 3) {
    throw new Error(
      `${fn}: image must be a tensor [H, W, C], got ${image instanceof tf.Tensor ? `shape [${image.shape}]` : typeof image}`,
    );
  }
  if (label == null) return;
  if (!(label instanceof tf.Tensor) || (label.rank !== 2 && label.rank !== 3)) {
    throw new Error(
      `${fn}: label must be a tensor [H, W] or [H, W, K], got ${label instanceof tf.Tensor ? `shape [${label.shape}]` : typeof label}`,
    );
  }
  const [h, w] = hw(image);
  if (label.shape[0] !== h || label.shape[1] !== w) {
    throw new Error(
      `${fn}: label shape [${label.shape}] does not match the image's height and width [${h}, ${w}]`,
    );
  }
}

/**
 * A uniformly random `[height, width]` rectangle inside an `imageHeight x imageWidth` image, drawn like
 * torchvision's `RandomCrop.get_params`: top ∈ [0, H − h], left ∈ [0, W − w], both inclusive.
 */
export function randomCropRect(
  imageSize: [number, number],
  size: [number, number],
  rng: RandomSource,
): CropRect {
  const [H, W] = imageSize;
  const [h, w] = size;
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !Number.isInteger(h) ||
    !Number.isInteger(w) ||
    h! < 1 ||
    w! < 1
  ) {
    throw new Error(
      `randomCrop: size must be [height, width] of positive integers, got ${JSON.stringify(size)}`,
    );
  }
  if (h! > H! || w! > W!) {
    throw new Error(
      `randomCrop: the crop size [${h}, ${w}] is larger than the image [${H}, ${W}] (height, width)`,
    );
  }
  return { top: randomInt(rng, 0, H! - h!), left: randomInt(rng, 0, W! - w!), height: h!, width: w! };
}

/** Crops rows `top..top+height-1` and columns `left..left+width-1` of an `[H, W]` or `[H, W, C]` tensor. */
export function cropTensor<T extends tf.Tensor>(x: T, rect: CropRect): T {
  const begin = [rect.top, rect.left, ...Array(x.rank - 2).fill(0)];
  const size = [rect.height, rect.width, ...Array(x.rank - 2).fill(-1)];
  return tf.slice(x, begin, size) as T;
}

/**
 * Crops the same random `[height, width]` rectangle out of an image and its label map: the joint crop of
 * d2l's `voc_rand_crop` (torchvision `RandomCrop.get_params` + `F.crop` on both). Throws, naming both sizes,
 * if the image is smaller than the crop. The inputs are not disposed; the outputs are new tensors.
 *
 * @param image `[H, W, C]`, any dtype.
 * @param label `[H, W]` or `[H, W, K]` (class indices, a mask), or null/undefined for none.
 * @param size `[height, width]` of the crop.
 * @param rng a seeded {@link Rng} (reproducible) or any `() => number`.
 * @returns the cropped image and label and the rectangle used.
 */
export function randomCrop<I extends tf.Tensor3D, L extends tf.Tensor | undefined = undefined>(
  image: I,
  label: L | null,
  size: [number, number],
  rng: RandomSource,
): JointResult<I, L> & { rect: CropRect } {
  checkImageAndLabel('randomCrop', image, label);
  const rect = randomCropRect(hw(image), size, rng);
  return {
    image: cropTensor(image, rect),
    label: (label == null ? undefined : cropTensor(label, rect)) as L,
    rect,
  };
}
