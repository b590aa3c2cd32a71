import * as tf from '@tensorflow/tfjs-core';
import { checkNhwc, pair } from './args.js';
import { maxPoolFirstMax } from './max-pool-first-max.js';
import { Module } from './module.js';

export interface MaxPool2dOptions {
  /** Default: `kernelSize` (as PyTorch). */
  stride?: number | readonly [number, number];
  /** Implicit −∞ padding on both sides; at most half the kernel, as PyTorch. Default 0. */
  padding?: number | readonly [number, number];
  /** Round the output size up instead of down (PyTorch's `ceil_mode`). Default false. */
  ceilMode?: boolean;
}

/** PyTorch's `pooling_output_shape` (dilation 1): the output length of one axis. */
export function poolOutputSize(
  size: number,
  kernel: number,
  stride: number,
  pad: number,
  ceilMode: boolean,
): number {
  const span = size + 2 * pad - kernel;
  let out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  // With ceil mode the last window must start inside the input or its left padding.
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/**
 * Max pooling, PyTorch's `torch.nn.MaxPool2d` (dilation 1) on NHWC tensors: `[N, H, W, C]` →
 * `[N, H', W', C]` with `H' = poolOutputSize(H, kh, sh, ph, ceilMode)`. Padding is −∞ (never chosen);
 * `ceilMode` windows that run past the bottom/right edge see −∞ there. Gradient goes to the first maximum
 * of each window (row-major), as PyTorch's, on every backend (see `maxPoolFirstMax`).
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: number | readonly [number, number], options: MaxPool2dOptions = {}) {
    super();
    const where = 'MaxPool2d';
    this.kernelSize = pair(where, 'kernelSize', kernelSize, 1);
    this.stride = pair(where, 'stride', options.stride ?? kernelSize, 1);
    this.padding = pair(where, 'padding', options.padding ?? 0, 0);
    this.ceilMode = options.ceilMode ?? false;
    if (this.padding[0] * 2 > this.kernelSize[0] || this.padding[1] * 2 > this.kernelSize[1]) {
      throw new Error(
        `${where}: padding [${this.padding}] must be at most half of kernelSize [${this.kernelSize}] (as PyTorch)`,
      );
    }
  }

  /** `x`: `[N, H, W, C]` → `[N, H', W', C]`. */
  forward(x: tf.Tensor): tf.Tensor4D {
    const where = `MaxPool2d(${this.extraRepr()}).forward`;
    checkNhwc(where, x);
    const [, h, w] = x.shape as [number, number, number, number];
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    const oh = poolOutputSize(h, kh, sh, ph, this.ceilMode);
    const ow = poolOutputSize(w, kw, sw, pw, this.ceilMode);
    if (oh < 1 || ow < 1) {
      throw new Error(
        `${where}: input [${x.shape}] is too small for kernel [${this.kernelSize}] with padding [${this.padding}]`,
      );
    }
    return tf.tidy(() => {
      // Pad so that exactly oh×ow 'valid' windows fit: top/left by the padding, bottom/right as needed.
      const bottom = Math.max(0, (oh - 1) * sh + kh - h - ph);
      const right = Math.max(0, (ow - 1) * sw + kw - w - pw);
      const xp =
        ph || pw || bottom || right
          ? tf.pad(
              x,
              [
                [0, 0],
                [ph, bottom],
                [pw, right],
                [0, 0],
              ],
              Number.NEGATIVE_INFINITY,
            )
          : x;
      // Exactly oh×ow windows fit (bottom/right clamped at 0 only when PyTorch's windows end before the edge).
      return maxPoolFirstMax(xp as tf.Tensor4D, [kh, kw], [sh, sw]);
    });
  }

  override extraRepr(): string {
    return `kernel_size=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')}), padding=(${this.padding.join(', ')}), ceil_mode=${this.ceilMode ? 'True' : 'False'}`;
  }
}
