import * as tf from '@tensorflow/tfjs-core';

/** An RGB color, each channel an integer in [0, 255]. */
export type Rgb = readonly [number, number, number];

/**
 * A raw 8-bit image: `height` rows of `width` pixels of `channels` interleaved bytes (HWC, row-major),
 * as sharp's raw output, `ImageData` (RGBA) and PNG decoders give them. 1 = gray, 2 = gray + alpha,
 * 3 = RGB, 4 = RGBA.
 */
export interface PixelImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

/** A {@link PixelImage}, or anything shaped like `ImageData` (channels inferred from the buffer length). */
export interface PixelImageLike {
  width: number;
  height: number;
  channels?: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** Checks a pixel buffer and returns it with its channel count. */
export function toPixelImage(image: PixelImageLike, fn = 'toPixelImage'): PixelImage {
  if (
    !image ||
    typeof image !== 'object' ||
    !(image.data instanceof Uint8Array || image.data instanceof Uint8ClampedArray)
  ) {
    throw new Error(
      `${fn}: image must be { width, height, data: Uint8Array | Uint8ClampedArray }, got ${image === null ? 'null' : typeof image}`,
    );
  }
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${fn}: width and height must be positive integers, got ${width}x${height}`);
  }
  const channels = image.channels ?? data.length / (width * height);
  if (![1, 2, 3, 4].includes(channels)) {
    throw new Error(`${fn}: ${data.length} bytes is not 1, 2, 3 or 4 channels of a ${width}x${height} image`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(
      `${fn}: a ${width}x${height}x${channels} image needs ${width * height * channels} bytes, got ${data.length}`,
    );
  }
  return { width, height, channels: channels as PixelImage['channels'], data };
}

/**
 * Converts between channel counts the way PIL's `Image.convert` does: gray → RGB replicates; RGB → gray is
 * ITU-R 601-2 luma `L = (19595 R + 38470 G + 7471 B + 2^15) >> 16`; alpha is dropped (not composited) or
 * added as 255. Shares the input's buffer (no copy) when it already has `channels`.
 */
export function convertChannels(image: PixelImageLike, channels: 1 | 2 | 3 | 4): PixelImage {
  const src = toPixelImage(image, 'convertChannels');
  if (![1, 2, 3, 4].includes(channels))
    throw new Error(`convertChannels: channels must be 1, 2, 3 or 4, got ${channels}`);
  if (src.channels === channels) return src;
  const n = src.width * src.height;
  const out = new Uint8Array(n * channels);
  const c = src.channels;
  const d = src.data;
  for (let i = 0; i < n; i++) {
    let r: number, g: number, b: number, a: number;
    if (c <= 2) {
      r = g = b = d[i * c]!;
      a = c === 2 ? d[i * c + 1]! : 255;
    } else {
      r = d[i * c]!;
      g = d[i * c + 1]!;
      b = d[i * c + 2]!;
      a = c === 4 ? d[i * c + 3]! : 255;
    }
    const o = i * channels;
    if (channels <= 2) {
      out[o] = c <= 2 ? r : (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
      if (channels === 2) out[o + 1] = a;
    } else {
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (channels === 4) out[o + 3] = a;
    }
  }
  return { width: src.width, height: src.height, channels, data: out };
}

export interface ImageToTensorOptions {
  /** Channels of the tensor (converted with {@link convertChannels}). Default 3 (RGB). */
  channels?: 1 | 2 | 3 | 4;
  /** 'int32' (default): values 0..255. 'float32': values divided by 255, in [0, 1] (torchvision `ToTensor`). */
  dtype?: 'int32' | 'float32';
}

/** A pixel buffer (RGBA `ImageData`, sharp's raw output, ...) as an `[H, W, C]` tensor. */
export function imageToTensor(image: PixelImageLike, options: ImageToTensorOptions = {}): tf.Tensor3D {
  const dtype = options.dtype ?? 'int32';
  if (dtype !== 'int32' && dtype !== 'float32')
    throw new Error(`imageToTensor: dtype must be 'int32' or 'float32', got '${String(dtype)}'`);
  const px = convertChannels(toPixelImage(image, 'imageToTensor'), options.channels ?? 3);
  const shape: [number, number, number] = [px.height, px.width, px.channels];
  if (dtype === 'int32') return tf.tensor3d(Int32Array.from(px.data), shape, 'int32');
  const f = new Float32Array(px.data.length);
  for (let i = 0; i < f.length; i++) f[i] = px.data[i]! / 255;
  return tf.tensor3d(f, shape, 'float32');
}

export interface TensorToImageOptions {
  /** Channels of the result (converted with {@link convertChannels}). Default: the tensor's. */
  channels?: 1 | 2 | 3 | 4;
  /**
   * What a value of 255 is in the tensor. Default by dtype: float32 → 1 (values in [0, 1] are multiplied
   * by 255), int32 → 255 (bytes). Pass 255 for a float32 tensor holding [0, 255] values.
   */
  inputScale?: number;
}

function checkImageTensor(fn: string, t: tf.Tensor): void {
  if (
    !(t instanceof tf.Tensor) ||
    (t.rank !== 2 && t.rank !== 3) ||
    (t.rank === 3 && ![1, 2, 3, 4].includes(t.shape[2]!))
  ) {
    throw new Error(
      `${fn}: image must be a tensor [H, W] or [H, W, C] with C in 1..4, got ${t instanceof tf.Tensor ? `shape [${t.shape}]` : typeof t}`,
    );
  }
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
    throw new Error(`${fn}: image dtype must be float32, int32 or bool, got ${t.dtype}`);
  }
}

function valuesToImage(t: tf.Tensor, values: ArrayLike<number>, options: TensorToImageOptions): PixelImage {
  const scale = 255 / (options.inputScale ?? (t.dtype === 'float32' ? 1 : 255));
  const data = new Uint8Array(values.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(values[i]! * scale);
    data[i] = v < 0 ? 0 : v > 255 ? 255 : Number.isNaN(v) ? 0 : v;
  }
  const px: PixelImage = {
    height: t.shape[0]!,
    width: t.shape[1]!,
    channels: (t.rank === 2 ? 1 : t.shape[2]) as PixelImage['channels'],
    data,
  };
  return options.channels ? convertChannels(px, options.channels) : px;
}

/**
 * An `[H, W]` or `[H, W, C]` tensor as 8-bit pixels: values scaled to [0, 255] (see
 * {@link TensorToImageOptions.inputScale}), rounded to nearest and clipped (NaN → 0). Reads the data
 * asynchronously (works on every backend without blocking).
 */
export async function tensorToImage(
  image: tf.Tensor,
  options: TensorToImageOptions = {},
): Promise<PixelImage> {
  checkImageTensor('tensorToImage', image);
  return valuesToImage(image, await image.data(), options);
}

/** {@link tensorToImage}, reading the tensor with `dataSync` (fine on the CPU and WASM backends). */
export function tensorToImageSync(image: tf.Tensor, options: TensorToImageOptions = {}): PixelImage {
  checkImageTensor('tensorToImageSync', image);
  return valuesToImage(image, image.dataSync(), options);
}

/** A tensor or pixel buffer as RGB pixels (a copy when converted, the same buffer when already RGB bytes). */
export function toRgbPixels(image: tf.Tensor | PixelImageLike, fn: string, inputScale?: number): PixelImage {
  if (image instanceof tf.Tensor) {
    checkImageTensor(fn, image);
    return valuesToImage(image, image.dataSync(), { channels: 3, inputScale });
  }
  return convertChannels(toPixelImage(image, fn), 3);
}
