import * as tf from '@tensorflow/tfjs-core';

/** ImageNet channel means (RGB), as torchvision's pretrained models and d2l use. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (RGB). */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

export interface NormalizeOptions {
  /**
   * What the input values are divided by first. Default by dtype: int32 images are taken as bytes in
   * [0, 255] and divided by 255 (torchvision `ToTensor`); float32 images are taken as already in [0, 1]
   * (divided by 1). Pass 255 for a float32 image holding [0, 255] values (e.g. after bilinear `resize`).
   */
  inputScale?: number;
}

function check(
  fn: string,
  image: tf.Tensor,
  mean: readonly number[],
  std: readonly number[],
  inputScale: number | undefined,
) {
  if (!(image instanceof tf.Tensor) || image.rank < 1) {
    throw new Error(
      `${fn}: image must be a tensor [..., C], got ${image instanceof tf.Tensor ? 'a scalar' : typeof image}`,
    );
  }
  const c = image.shape[image.rank - 1];
  if (mean.length !== c || std.length !== c) {
    throw new Error(
      `${fn}: image has ${c} channels (shape [${image.shape}]) but mean has ${mean.length} and std ${std.length} values`,
    );
  }
  if (std.some((s) => !(s > 0))) throw new Error(`${fn}: std values must be > 0, got [${std}]`);
  if (inputScale !== undefined && !(inputScale > 0))
    throw new Error(`${fn}: inputScale must be > 0, got ${inputScale}`);
}

/**
 * `(x / inputScale − mean) / std` per channel (last axis), like torchvision's `ToTensor` followed by
 * `Normalize(mean, std)`. Accepts `[..., C]` (an `[H, W, 3]` image or an `[N, H, W, 3]` batch); returns float32.
 * int32 input is read as [0, 255] bytes, float32 as [0, 1] (see {@link NormalizeOptions.inputScale}).
 */
export function normalize<T extends tf.Tensor>(
  image: T,
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD,
  options: NormalizeOptions = {},
): T {
  check('normalize', image, mean, std, options.inputScale);
  const scale = options.inputScale ?? (image.dtype === 'float32' ? 1 : 255);
  return tf.tidy(
    () =>
      tf.div(
        tf.sub(tf.div(tf.cast(image, 'float32'), scale), tf.tensor1d(mean as number[])),
        tf.tensor1d(std as number[]),
      ) as T,
  );
}

/**
 * The inverse of {@link normalize}: `x · std + mean`, float32 in [0, 1] for an image that was in range
 * (not clipped; d2l's style-transfer `postprocess` clamps afterwards, as `tensorToImage` does).
 */
export function denormalize<T extends tf.Tensor>(
  image: T,
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD,
): T {
  check('denormalize', image, mean, std, undefined);
  return tf.tidy(
    () =>
      tf.add(
        tf.mul(tf.cast(image, 'float32'), tf.tensor1d(std as number[])),
        tf.tensor1d(mean as number[]),
      ) as T,
  );
}
