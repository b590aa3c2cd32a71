import * as tf from '@tensorflow/tfjs-core';
import {
  convertChannels,
  type ImageToTensorOptions,
  imageToTensor,
  type PixelImageLike,
  tensorToImage,
  toPixelImage,
} from './pixels.js';

// Minimal structural types, so this file typechecks without DOM-worker libs and runs in windows and workers.
interface Bitmap {
  width: number;
  height: number;
  close?(): void;
}
interface Context2d {
  drawImage(image: Bitmap, x: number, y: number): void;
  getImageData(
    x: number,
    y: number,
    w: number,
    h: number,
  ): { data: Uint8ClampedArray; width: number; height: number };
  createImageData(w: number, h: number): { data: Uint8ClampedArray; width: number; height: number };
  putImageData(data: { data: Uint8ClampedArray; width: number; height: number }, x: number, y: number): void;
}
interface Canvas {
  getContext(kind: '2d'): Context2d | null;
  convertToBlob(options?: { type?: string; quality?: number }): Promise<Blob>;
}
interface BrowserImageGlobals {
  createImageBitmap?: (blob: Blob, options?: Record<string, string>) => Promise<Bitmap>;
  OffscreenCanvas?: new (width: number, height: number) => Canvas;
}

function browserApis(fn: string, needBitmap: boolean) {
  const g = globalThis as unknown as BrowserImageGlobals;
  const missing = [
    needBitmap && typeof g.createImageBitmap !== 'function' ? 'createImageBitmap' : '',
    typeof g.OffscreenCanvas !== 'function' ? 'OffscreenCanvas' : '',
  ]
    .filter(Boolean)
    .join(' and ');
  if (missing) {
    throw new Error(
      `${fn}: needs ${missing}, which this runtime lacks (they exist in browsers and web workers). ` +
        "In Node, use readImage/writeImage from '@cv/core/node' (sharp).",
    );
  }
  // Bound: browsers throw "Illegal invocation" when createImageBitmap is called as a method of another object.
  return { createImageBitmap: g.createImageBitmap!.bind(globalThis), OffscreenCanvas: g.OffscreenCanvas! };
}

function context(fn: string, canvas: Canvas): Context2d {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error(`${fn}: OffscreenCanvas.getContext('2d') returned null`);
  return ctx;
}

/**
 * Decodes an encoded image (PNG, JPEG, WebP, whatever the browser decodes) into an `[H, W, C]` tensor
 * (default: 3 channels, int32 bytes; `dtype: 'float32'` for [0, 1]) with `createImageBitmap` and an
 * `OffscreenCanvas`, in a window or a worker. EXIF orientation and color-space conversion are off
 * (`imageOrientation: 'none'`, `colorSpaceConversion: 'none'`), like PIL. Alpha is read unpremultiplied
 * (`premultiplyAlpha: 'none'`), though canvases may store it premultiplied, which rounds the colors of
 * semi-transparent pixels. Throws, saying what is needed, where those APIs are missing (Node).
 */
export async function decodeImage(
  source: Blob | ArrayBuffer | ArrayBufferView,
  options: ImageToTensorOptions = {},
): Promise<tf.Tensor3D> {
  const api = browserApis('decodeImage', true);
  let blob: Blob;
  if (typeof Blob !== 'undefined' && source instanceof Blob) blob = source;
  else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const view =
      source instanceof ArrayBuffer
        ? new Uint8Array(source)
        : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    blob = new Blob([Uint8Array.from(view)]);
  } else {
    throw new Error(
      `decodeImage: source must be a Blob, an ArrayBuffer or a typed array, got ${source === null ? 'null' : typeof source}`,
    );
  }
  const bitmap = await api.createImageBitmap(blob, {
    premultiplyAlpha: 'none',
    colorSpaceConversion: 'none',
    imageOrientation: 'none',
  });
  try {
    const canvas = new api.OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = context('decodeImage', canvas);
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return imageToTensor({ width: data.width, height: data.height, channels: 4, data: data.data }, options);
  } finally {
    bitmap.close?.();
  }
}

export interface EncodeImageOptions {
  /** MIME type. Default 'image/png'. */
  type?: 'image/png' | 'image/jpeg' | 'image/webp';
  /** JPEG/WebP quality in [0, 1]. Default: the browser's (0.92 in most). */
  quality?: number;
  /** For float32 tensors: what a value of 255 is (default 1: values in [0, 1]). */
  inputScale?: number;
}

/**
 * Encodes an `[H, W, C]` tensor (int32 bytes or float32 in [0, 1]; see `tensorToImage`) or a pixel buffer
 * into a PNG/JPEG/WebP `Blob` with `OffscreenCanvas.convertToBlob`. Gray is replicated to RGB, missing alpha
 * is opaque. Throws, saying what is needed, where `OffscreenCanvas` is missing (Node).
 */
export async function encodeImage(
  image: tf.Tensor | PixelImageLike,
  options: EncodeImageOptions = {},
): Promise<Blob> {
  const api = browserApis('encodeImage', false);
  const type = options.type ?? 'image/png';
  if (!['image/png', 'image/jpeg', 'image/webp'].includes(type)) {
    throw new Error(
      `encodeImage: type must be 'image/png', 'image/jpeg' or 'image/webp', got '${String(type)}'`,
    );
  }
  if (options.quality !== undefined && !(options.quality >= 0 && options.quality <= 1)) {
    throw new Error(`encodeImage: quality must be in [0, 1], got ${options.quality}`);
  }
  const px =
    image instanceof tf.Tensor
      ? await tensorToImage(image, { channels: 4, inputScale: options.inputScale })
      : convertChannels(toPixelImage(image, 'encodeImage'), 4);
  const canvas = new api.OffscreenCanvas(px.width, px.height);
  const ctx = context('encodeImage', canvas);
  const data = ctx.createImageData(px.width, px.height);
  data.data.set(px.data);
  ctx.putImageData(data, 0, 0);
  return canvas.convertToBlob(options.quality === undefined ? { type } : { type, quality: options.quality });
}

/** {@link encodeImage} as PNG: lossless, so int32 byte tensors round-trip exactly through {@link decodeImage}. */
export function encodePng(
  image: tf.Tensor | PixelImageLike,
  options: Omit<EncodeImageOptions, 'type'> = {},
): Promise<Blob> {
  return encodeImage(image, { ...options, type: 'image/png' });
}
