import { IMAGENET_MEAN, IMAGENET_STD, resize } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

/** Throws unless `size` is `[height, width]` of positive integers. @internal */
export function checkSize(fn: string, name: string, size: unknown): asserts size is [number, number] {
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    size.some((d) => !Number.isInteger(d) || (d as number) < 2)
  ) {
    throw new Error(`${fn}: ${name} must be [height, width], integers ≥ 2, got ${JSON.stringify(size)}`);
  }
}

/**
 * d2l's style-transfer `preprocess`: `Resize(imageShape)`, `ToTensor`, `Normalize(ImageNet mean, std)` and a
 * batch axis, on NHWC.
 *
 * @param image `[H, W, 3]` or `[1, H, W, 3]`: int32 bytes in [0, 255] (what `readImage` returns) or float32 in [0, 1].
 * @param size `[height, width]` to resize to (bilinear, PyTorch's `align_corners=False` without
 *   antialiasing; torchvision's `Resize` on a PIL image antialiases when shrinking), or undefined to keep the size.
 * @returns float32 `[1, height, width, 3]`, `(x − mean) / std` per channel.
 */
export function preprocess(image: tf.Tensor, size?: readonly [number, number]): tf.Tensor4D {
  const fn = 'preprocess';
  const ok =
    image instanceof tf.Tensor &&
    ((image.rank === 3 && image.shape[2] === 3) ||
      (image.rank === 4 && image.shape[0] === 1 && image.shape[3] === 3));
  if (!ok) {
    throw new Error(
      `${fn}: image must be an RGB image [H, W, 3] or [1, H, W, 3], got ${image instanceof tf.Tensor ? `shape [${image.shape}]` : typeof image}`,
    );
  }
  if (image.dtype !== 'int32' && image.dtype !== 'float32') {
    throw new Error(`${fn}: image must be int32 (0..255) or float32 (0..1), got ${image.dtype}`);
  }
  if (size !== undefined) checkSize(fn, 'size', size);
  return tf.tidy(() => {
    let x = tf.cast(image.rank === 3 ? tf.expandDims(image, 0) : image, 'float32') as tf.Tensor4D;
    if (image.dtype === 'int32') x = tf.div(x, 255);
    if (size && (size[0] !== x.shape[1] || size[1] !== x.shape[2])) x = resize(x, [size[0], size[1]]);
    return tf.div(tf.sub(x, tf.tensor1d([...IMAGENET_MEAN])), tf.tensor1d([...IMAGENET_STD])) as tf.Tensor4D;
  });
}

/**
 * d2l's style-transfer `postprocess`: undoes the normalisation and clamps to [0, 1]:
 * `clamp(x · std + mean, 0, 1)`.
 *
 * @param x `[1, H, W, 3]` (or `[H, W, 3]`) preprocessed image.
 * @returns float32 `[H, W, 3]` in [0, 1] (write it with `writeImage`).
 */
export function postprocess(x: tf.Tensor): tf.Tensor3D {
  const ok =
    x instanceof tf.Tensor &&
    ((x.rank === 3 && x.shape[2] === 3) || (x.rank === 4 && x.shape[0] === 1 && x.shape[3] === 3));
  if (!ok) {
    throw new Error(
      `postprocess: x must be [1, H, W, 3] or [H, W, 3], got ${x instanceof tf.Tensor ? `shape [${x.shape}]` : typeof x}`,
    );
  }
  return tf.tidy(() => {
    const img = (x.rank === 4 ? tf.squeeze(x, [0]) : x) as tf.Tensor3D;
    return tf.clipByValue(
      tf.add(tf.mul(img, tf.tensor1d([...IMAGENET_STD])), tf.tensor1d([...IMAGENET_MEAN])),
      0,
      1,
    ) as tf.Tensor3D;
  });
}
