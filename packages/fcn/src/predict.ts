import { colorizeLabels, IMAGENET_MEAN, IMAGENET_STD } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import type { FCN } from './fcn.js';

export interface PredictOptions {
  /**
   * `'auto'` (default): int32 images are bytes in [0, 255], float32 images are in [0, 1]; both are
   * normalized with ImageNet's mean and std (d2l's `normalize_image`). `'normalized'`: the image is already
   * normalized (what the VOC loaders yield); it is used as is.
   */
  input?: 'auto' | 'normalized';
  /** Spatial multiple the padded input must have. Default 32 (the FCN's total stride). */
  multiple?: number;
}

/**
 * d2l's `predict` (13.11.5) for images of any size: normalizes `image`, pads it at the bottom and right
 * with zeros (the mean color after normalization) to multiples of 32, runs the network in eval mode (the
 * model's mode is restored afterwards), takes the per-pixel argmax over classes and crops it back.
 * (The seed crops test images to 320x480 instead; padding keeps every pixel.)
 *
 * @param image `[H, W, 3]` or a batch `[N, H, W, 3]`: int32 bytes, float32 in [0, 1], or normalized floats
 *   with `input: 'normalized'`.
 * @returns int32 class indices `[H, W]` (or `[N, H, W]` for a batch).
 */
export function predict(model: FCN, image: tf.Tensor, options: PredictOptions = {}): tf.Tensor {
  const where = 'predict';
  if (!(image instanceof tf.Tensor) || (image.rank !== 3 && image.rank !== 4) || image.shape.at(-1) !== 3) {
    throw new Error(
      `${where}: image must be [H, W, 3] or [N, H, W, 3], got ${image instanceof tf.Tensor ? `shape [${image.shape}]` : typeof image}`,
    );
  }
  const input = options.input ?? 'auto';
  if (input !== 'auto' && input !== 'normalized')
    throw new Error(`${where}: options.input must be 'auto' or 'normalized', got ${JSON.stringify(input)}`);
  const multiple = options.multiple ?? 32;
  if (!Number.isInteger(multiple) || multiple < 1)
    throw new Error(`${where}: options.multiple must be an integer ≥ 1, got ${String(multiple)}`);
  const batched = image.rank === 4;
  const [h, w] = batched ? [image.shape[1]!, image.shape[2]!] : [image.shape[0]!, image.shape[1]!];
  if (h < 1 || w < 1) throw new Error(`${where}: image [${image.shape}] is empty`);
  const wasTraining = model.training;
  model.eval();
  try {
    return tf.tidy(() => {
      let x = (batched ? image : tf.expandDims(image, 0)) as tf.Tensor4D;
      if (input === 'auto') {
        const scaled = x.dtype === 'float32' ? x : tf.div(tf.cast(x, 'float32'), 255);
        x = tf.div(tf.sub(scaled, [...IMAGENET_MEAN]), [...IMAGENET_STD]);
      } else if (x.dtype !== 'float32') x = tf.cast(x, 'float32');
      const ph = Math.ceil(h / multiple) * multiple - h;
      const pw = Math.ceil(w / multiple) * multiple - w;
      if (ph || pw)
        x = tf.pad(x, [
          [0, 0],
          [0, ph],
          [0, pw],
          [0, 0],
        ]);
      const logits = model.apply(x);
      let pred = tf.argMax(logits, 3) as tf.Tensor3D;
      if (ph || pw) pred = tf.slice(pred, [0, 0, 0], [-1, h, w]);
      return batched ? pred : tf.squeeze(pred, [0]);
    });
  } finally {
    model.train(wasTraining);
  }
}

/**
 * d2l's `label2image`: colors a class map with the VOC palette (`VOC_COLORMAP`; 255 in VOC's border color).
 *
 * @param pred `[H, W]` (or `[N, H, W]`) integer class indices.
 * @returns int32 RGB bytes `[H, W, 3]` (or `[N, H, W, 3]`).
 */
export function label2image(pred: tf.Tensor): tf.Tensor {
  if (!(pred instanceof tf.Tensor) || (pred.rank !== 2 && pred.rank !== 3)) {
    throw new Error(
      `label2image: pred must be [H, W] or [N, H, W] class indices, got ${pred instanceof tf.Tensor ? `shape [${pred.shape}]` : typeof pred}`,
    );
  }
  return tf.tidy(() => {
    const p = pred.dtype === 'int32' ? pred : tf.cast(pred, 'int32');
    if (p.rank === 2) return colorizeLabels(p);
    return tf.stack(tf.unstack(p).map((m) => colorizeLabels(m)));
  });
}
