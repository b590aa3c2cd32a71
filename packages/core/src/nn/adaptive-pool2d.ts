import * as tf from '@tensorflow/tfjs-core';
import { checkNhwc } from './args.js';
import { maxPoolFirstMax } from './max-pool-first-max.js';
import { Module } from './module.js';

/** An output size: one number for both axes, or `[height, width]` where `null` keeps the input's size. */
export type AdaptiveOutputSize = number | readonly [number | null, number | null];

/** PyTorch's adaptive bin `i` of `out` over `size` elements: `[floor(i·size/out), ceil((i+1)·size/out))`. */
export function adaptiveBin(i: number, size: number, out: number): [number, number] {
  return [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
}

function resolveOutputSize(where: string, outputSize: AdaptiveOutputSize): [number | null, number | null] {
  const p = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => v === null || (Number.isInteger(v) && v >= 1))) {
    throw new Error(
      `${where}: outputSize must be an integer ≥ 1 or [h, w] of integers ≥ 1 or null, got ${JSON.stringify(outputSize)}`,
    );
  }
  return [p[0] ?? null, p[1] ?? null];
}

/** Reduces one spatial axis of an NHWC tensor into `out` adaptive bins (slices + reduce, then concat). */
function reduceAxis(x: tf.Tensor, axis: 1 | 2, out: number, reduce: 'max' | 'mean'): tf.Tensor {
  const size = x.shape[axis]!;
  if (out === size) return x;
  const red = (t: tf.Tensor) => (reduce === 'max' ? tf.max(t, axis, true) : tf.mean(t, axis, true));
  if (out === 1) return red(x);
  if (size % out === 0) {
    // Equal, disjoint bins: one reshape and one reduction.
    const k = size / out;
    const s = x.shape;
    const shape = axis === 1 ? [s[0]!, out, k, s[2]!, s[3]!] : [s[0]!, s[1]!, out, k, s[3]!];
    const r = tf.reshape(x, shape);
    return reduce === 'max' ? tf.max(r, axis + 1) : tf.mean(r, axis + 1);
  }
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const [start, end] = adaptiveBin(i, size, out);
    const begin = [0, 0, 0, 0];
    const len = [-1, -1, -1, -1];
    begin[axis] = start;
    len[axis] = end - start;
    parts.push(red(tf.slice(x, begin, len)));
  }
  return tf.concat(parts, axis);
}

function adaptivePool(
  where: string,
  x: tf.Tensor,
  outputSize: [number | null, number | null],
  reduce: 'max' | 'mean',
): tf.Tensor4D {
  checkNhwc(where, x);
  const [, h, w] = x.shape as [number, number, number, number];
  if (h < 1 || w < 1) throw new Error(`${where}: input [${x.shape}] has an empty spatial axis`);
  const oh = outputSize[0] ?? h;
  const ow = outputSize[1] ?? w;
  return tf.tidy(() => {
    if (h % oh === 0 && w % ow === 0 && (oh !== h || ow !== w)) {
      // Uniform bins on both axes: one pooling op (gradient to the first maximum, as PyTorch's).
      const k: [number, number] = [h / oh, w / ow];
      const x4 = x as tf.Tensor4D;
      return reduce === 'max' ? maxPoolFirstMax(x4, k, k) : tf.avgPool(x4, k, k, 'valid');
    }
    return reduceAxis(reduceAxis(x, 1, oh, reduce), 2, ow, reduce) as tf.Tensor4D;
  });
}

/**
 * PyTorch's `torch.nn.AdaptiveAvgPool2d` on NHWC tensors: `[N, H, W, C]` → `[N, oh, ow, C]`, output
 * cell (i, j) averaging rows `[floor(i·H/oh), ceil((i+1)·H/oh))` × the same for columns (bins may
 * overlap when sizes do not divide, and repeat when the output is larger than the input).
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number | null, number | null];

  constructor(outputSize: AdaptiveOutputSize) {
    super();
    this.outputSize = resolveOutputSize('AdaptiveAvgPool2d', outputSize);
  }

  /** `x`: `[N, H, W, C]` → `[N, oh, ow, C]`. */
  forward(x: tf.Tensor): tf.Tensor4D {
    return adaptivePool(`AdaptiveAvgPool2d(${this.extraRepr()}).forward`, x, this.outputSize, 'mean');
  }

  override extraRepr(): string {
    return `output_size=(${this.outputSize.map((v) => v ?? 'None').join(', ')})`;
  }
}

/**
 * PyTorch's `torch.nn.AdaptiveMaxPool2d` on NHWC tensors (no indices): bins as `AdaptiveAvgPool2d`.
 * Gradient: to the maximum of each bin; with exact ties inside a bin of a non-uniform grid, tfjs's max
 * gradient goes to every tied element where PyTorch picks one.
 */
export class AdaptiveMaxPool2d extends Module {
  readonly outputSize: [number | null, number | null];

  constructor(outputSize: AdaptiveOutputSize) {
    super();
    this.outputSize = resolveOutputSize('AdaptiveMaxPool2d', outputSize);
  }

  /** `x`: `[N, H, W, C]` → `[N, oh, ow, C]`. */
  forward(x: tf.Tensor): tf.Tensor4D {
    return adaptivePool(`AdaptiveMaxPool2d(${this.extraRepr()}).forward`, x, this.outputSize, 'max');
  }

  override extraRepr(): string {
    return `output_size=(${this.outputSize.map((v) => v ?? 'None').join(', ')})`;
  }
}
