import * as tf from '@tensorflow/tfjs-core';
import { checkInt, checkNhwc, pair } from './args.js';
import { Module } from './module.js';
import { CONV2D_WEIGHT_LAYOUT } from './tensor-layout.js';

/**
 * Conv2d padding: an integer (all sides), `[padH, padW]` (PyTorch's tuple), explicit
 * `[[top, bottom], [left, right]]` (asymmetric; PyTorch has it only as `F.pad` before the conv),
 * `'valid'` (none) or `'same'` (stride 1 only; PyTorch puts the odd extra row/column at the bottom/right).
 */
export type Conv2dPadding =
  | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]]
  | 'valid'
  | 'same';

export interface Conv2dOptions {
  /** Default 1. */
  stride?: number | readonly [number, number];
  /** Default 0. */
  padding?: Conv2dPadding;
  /** Default 1. */
  dilation?: number | readonly [number, number];
  /** Default 1; must divide both channel counts. */
  groups?: number;
  /** Add a learned bias. Default true. */
  bias?: boolean;
}

/** Resolves a padding argument to `[[top, bottom], [left, right]]`. */
export function resolveConv2dPadding(
  where: string,
  padding: Conv2dPadding,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
): [[number, number], [number, number]] {
  if (padding === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new Error(`${where}: padding 'same' needs stride 1 (as in PyTorch), got stride [${stride}]`);
    }
    const side = (k: number, d: number): [number, number] => {
      const total = d * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    return [side(kernel[0], dilation[0]), side(kernel[1], dilation[1])];
  }
  if (Array.isArray(padding) && Array.isArray(padding[0])) {
    const p = padding as readonly (readonly number[])[];
    const ok =
      p.length === 2 &&
      p.every((s) => Array.isArray(s) && s.length === 2 && s.every((v) => Number.isInteger(v) && v >= 0));
    if (!ok)
      throw new Error(
        `${where}: explicit padding must be [[top, bottom], [left, right]] of integers ≥ 0, got ${JSON.stringify(padding)}`,
      );
    return [
      [p[0]![0]!, p[0]![1]!],
      [p[1]![0]!, p[1]![1]!],
    ];
  }
  const [ph, pw] = pair(where, 'padding', padding as number | [number, number], 0);
  return [
    [ph, ph],
    [pw, pw],
  ];
}

/**
 * Spreads an HWIO kernel `[kh, kw, I, O]` to `[(kh−1)·dh+1, (kw−1)·dw+1, I, O]` by inserting `dh−1` zero
 * rows and `dw−1` zero columns between its taps, with reshape/pad/slice only, so that gradients flow to
 * the original taps on every backend (tfjs's own conv2d gradient refuses dilation > 1).
 */
export function dilateKernel(w: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  if (dh === 1 && dw === 1) return w;
  return tf.tidy(() => {
    const [kh, kw, ci, co] = w.shape;
    const c = ci * co;
    let k: tf.Tensor = w;
    let KH = kh;
    if (dh > 1) {
      // [kh, 1, kw·c] → pad the middle axis to dh → rows interleaved with dh−1 zero rows → drop the trailing ones.
      KH = (kh - 1) * dh + 1;
      k = tf.pad(tf.reshape(k, [kh, 1, kw * c]), [
        [0, 0],
        [0, dh - 1],
        [0, 0],
      ]);
      k = tf.slice(tf.reshape(k, [kh * dh, kw * c]), [0, 0], [KH, kw * c]);
    }
    let KW = kw;
    if (dw > 1) {
      KW = (kw - 1) * dw + 1;
      k = tf.pad(tf.reshape(k, [KH * kw, 1, c]), [
        [0, 0],
        [0, dw - 1],
        [0, 0],
      ]);
      k = tf.slice(tf.reshape(k, [KH, kw * dw, c]), [0, 0, 0], [KH, KW, c]);
    }
    return tf.reshape(k, [KH, KW, ci, co]);
  });
}

export interface FunctionalConv2dOptions {
  stride: readonly [number, number];
  /** `[[top, bottom], [left, right]]` (see `resolveConv2dPadding`). */
  padding: readonly [readonly [number, number], readonly [number, number]];
  dilation: readonly [number, number];
  groups: number;
}

const x4 = (x: tf.Tensor) => x as tf.Tensor4D;

/**
 * The computation of `Conv2d` as a function (PyTorch's `F.conv2d` on NHWC): `x` `[N, H, W, C]`, `weight`
 * HWIO `[kh, kw, C/groups, out]`, `bias` `[out]` or null. Differentiable in `x`, `weight` and `bias` on
 * every backend that has conv2d's gradient kernels, dilation and groups included. Inputs are not validated
 * (Conv2d validates them).
 */
export function functionalConv2d(
  x: tf.Tensor4D,
  weight: tf.Tensor4D,
  bias: tf.Tensor | null,
  options: FunctionalConv2dOptions,
): tf.Tensor4D {
  const [[top, bottom], [left, right]] = options.padding;
  const [sh, sw] = options.stride;
  const { groups } = options;
  return tf.tidy(() => {
    const kernel = dilateKernel(weight, options.dilation[0], options.dilation[1]);
    const pad: 'valid' | tf.backend_util.ExplicitPadding =
      top || bottom || left || right
        ? [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ]
        : 'valid';
    const conv = (xi: tf.Tensor4D, ki: tf.Tensor4D): tf.Tensor4D => tf.conv2d(xi, ki, [sh, sw], pad);
    let y: tf.Tensor4D;
    if (groups === 1) {
      y = conv(x, kernel);
    } else {
      const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
      const ks = tf.split(kernel, groups, 3) as tf.Tensor4D[];
      y = tf.concat(
        xs.map((xi, i) => conv(xi, ks[i]!)),
        3,
      );
    }
    return bias ? tf.add(y, bias) : y;
  });
}

/**
 * 2-D convolution, PyTorch's `torch.nn.Conv2d` on NHWC tensors.
 *
 * - input `[N, H, W, inChannels]` → output `[N, H', W', outChannels]`,
 *   `H' = floor((H + top + bottom − dilation·(kh − 1) − 1) / stride) + 1` (PyTorch's formula);
 * - weight: tfjs HWIO `[kh, kw, inChannels/groups, outChannels]` (state dict: PyTorch OIHW
 *   `[out, in/groups, kh, kw]`, key `weight`); bias `[outChannels]` (key `bias`);
 * - initialisation as PyTorch: weight and bias uniform in ±1/√(fan_in), fan_in = in/groups·kh·kw;
 * - groups: output channel o sees input group ⌊o/(out/groups)⌋, as PyTorch (one conv2d per group);
 * - dilation: the kernel is spread with zeros (`dilateKernel`), differentiable on every backend
 *   (costs the spread kernel's multiply-adds).
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  /** `[[top, bottom], [left, right]]`. */
  readonly padding: [[number, number], [number, number]];
  readonly paddingArg: Conv2dPadding;
  /** HWIO `[kh, kw, in/groups, out]`. */
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number, number],
    options: Conv2dOptions = {},
  ) {
    super();
    const where = 'Conv2d';
    this.inChannels = checkInt(where, 'inChannels', inChannels, 1);
    this.outChannels = checkInt(where, 'outChannels', outChannels, 1);
    this.kernelSize = pair(where, 'kernelSize', kernelSize, 1);
    this.stride = pair(where, 'stride', options.stride ?? 1, 1);
    this.dilation = pair(where, 'dilation', options.dilation ?? 1, 1);
    this.groups = checkInt(where, 'groups', options.groups ?? 1, 1);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(
        `${where}: groups ${this.groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    }
    this.paddingArg = options.padding ?? 0;
    this.padding = resolveConv2dPadding(where, this.paddingArg, this.kernelSize, this.stride, this.dilation);
    const [kh, kw] = this.kernelSize;
    const fanIn = (inChannels / this.groups) * kh * kw;
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = this.registerParameter(
      'weight',
      tf.randomUniform([kh, kw, inChannels / this.groups, outChannels], -bound, bound),
      {
        layout: CONV2D_WEIGHT_LAYOUT,
      },
    );
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', tf.randomUniform([outChannels], -bound, bound));
  }

  /** `x`: `[N, H, W, inChannels]` → `[N, H', W', outChannels]`. */
  forward(x: tf.Tensor): tf.Tensor4D {
    const where = `Conv2d(${this.extraRepr()}).forward`;
    checkNhwc(where, x, this.inChannels);
    const [[top, bottom], [left, right]] = this.padding;
    const [kh, kw] = this.kernelSize;
    const [dh, dw] = this.dilation;
    const [, h, w] = x.shape as [number, number, number, number];
    const effH = dh * (kh - 1) + 1;
    const effW = dw * (kw - 1) + 1;
    if (h + top + bottom < effH || w + left + right < effW) {
      throw new Error(
        `${where}: padded input ${h + top + bottom}x${w + left + right} (input [${x.shape}]) is smaller than the dilated kernel ${effH}x${effW}`,
      );
    }
    return functionalConv2d(x4(x), this.weight as tf.Tensor4D, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    const parts = [
      `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize.join(', ')})`,
      `stride=(${this.stride.join(', ')})`,
    ];
    const [[t, b], [l, r]] = this.padding;
    if (t || b || l || r)
      parts.push(t === b && l === r ? `padding=(${t}, ${l})` : `padding=((${t}, ${b}), (${l}, ${r}))`);
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1)
      parts.push(`dilation=(${this.dilation.join(', ')})`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=False');
    return parts.join(', ');
  }
}
