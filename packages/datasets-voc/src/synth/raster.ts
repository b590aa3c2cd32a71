/**
 * Small raster helpers for the generators: bilinear crop-and-resize of RGB bytes and alpha blending.
 * Plain typed-array code (no tensors), deterministic on every platform.
 */
import type { Rng } from '@cv/core';
import type { RgbPixels } from '../platform.js';

/**
 * Crops `[top, left, height, width]` (floats allowed) out of `src` and resizes it to `outH x outW` with
 * bilinear sampling (half-pixel centres, PyTorch `align_corners=False`), optionally mirrored and scaled
 * in brightness.
 */
export function cropResize(
  src: RgbPixels,
  rect: { top: number; left: number; height: number; width: number },
  outH: number,
  outW: number,
  options: { flip?: boolean; gain?: number } = {},
): Uint8Array {
  const out = new Uint8Array(outH * outW * 3);
  const sy = rect.height / outH;
  const sx = rect.width / outW;
  const gain = options.gain ?? 1;
  const { width: W, height: H, data } = src;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(H - 1, Math.max(0, rect.top + (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(H - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const xx = options.flip ? outW - 1 - x : x;
      const fx = Math.min(W - 1, Math.max(0, rect.left + (xx + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(W - 1, x0 + 1);
      const wx = fx - x0;
      const o = (y * outW + x) * 3;
      for (let c = 0; c < 3; c++) {
        const a = data[(y0 * W + x0) * 3 + c]!;
        const b = data[(y0 * W + x1) * 3 + c]!;
        const d = data[(y1 * W + x0) * 3 + c]!;
        const e = data[(y1 * W + x1) * 3 + c]!;
        const v = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy;
        out[o + c] = Math.max(0, Math.min(255, Math.round(v * gain)));
      }
    }
  }
  return out;
}

/** A random crop of a random photo, resized to `outH x outW`, mirrored half the time, brightness ×[0.8, 1.2]. */
export function randomBackground(
  photos: readonly RgbPixels[],
  outH: number,
  outW: number,
  rng: Rng,
): Uint8Array {
  const photo = photos[rng.int(0, photos.length - 1)]!;
  const aspect = outW / outH;
  const maxH = Math.min(photo.height, photo.width / aspect);
  const h = maxH * (0.35 + 0.65 * rng.next());
  const w = h * aspect;
  const top = rng.next() * (photo.height - h);
  const left = rng.next() * (photo.width - w);
  return cropResize(photo, { top, left, height: h, width: w }, outH, outW, {
    flip: rng.next() < 0.5,
    gain: 0.8 + 0.4 * rng.next(),
  });
}

/** Blends `color` over pixel `i` (flat pixel index) of an RGB buffer with opacity `alpha` in [0, 1]. */
export function blend(
  data: Uint8Array,
  i: number,
  color: readonly [number, number, number],
  alpha: number,
): void {
  const o = i * 3;
  for (let c = 0; c < 3; c++) data[o + c] = Math.round(data[o + c]! * (1 - alpha) + color[c]! * alpha);
}

/** Clamps to a byte. */
export function byte(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}
