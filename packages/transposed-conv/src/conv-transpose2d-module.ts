import { CONV_TRANSPOSE2D_WEIGHT_LAYOUT, Module } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkInt, type IntPair } from './args.js';
import { bilinearKernel } from './bilinear-kernel.js';
import { type ConvTranspose2dMethod, convTranspose2d } from './conv-transpose2d.js';
import { checkOutputSize, outputPaddingFor, type ResolvedGeometry, resolveGeometry } from './output-size.js';

export interface ConvTranspose2dModuleOptions {
  /** Default 1. */
  stride?: IntPair;
  /** Default 0. */
  padding?: IntPair;
  /** Default 0; smaller than the stride or the dilation. */
  outputPadding?: IntPair;
  /** Default 1. */
  dilation?: IntPair;
  /** Default 1; must divide both channel counts. */
  groups?: number;
  /** Add a learned bias. Default true. */
  bias?: boolean;
  /**
   * Weight initialisation: `'pytorch'` (default: uniform in ±1/√fan_in, fan_in = (out/groups)·kh·kw, as
   * PyTorch computes it for a transposed convolution's weight; bias the same) or `'bilinear'` (d2l's
   * {@link bilinearKernel}, see {@link initBilinear}; the bias keeps PyTorch's initialisation, as in d2l).
   */
  init?: 'pytorch' | 'bilinear';
  /** How the forward pass computes; see `ConvTranspose2dMethod`. Default 'auto'. */
  method?: ConvTranspose2dMethod;
}

/**
 * PyTorch's `torch.nn.ConvTranspose2d` on NHWC tensors, following @cv/core's module convention.
 *
 * - input `[N, H, W, inChannels]` → output `[N, H_out, W_out, outChannels]`, `H_out` as
 *   {@link convTranspose2dOutputSize}; `apply(x, outputSize)` picks the output padding that gives
 *   `outputSize` (PyTorch's `forward(input, output_size)`);
 * - weight: stored `[kh, kw, outChannels/groups, inChannels]` (what {@link convTranspose2d} takes); the state
 *   dict uses PyTorch's name `weight` and layout `[inChannels, outChannels/groups, kh, kw]`, so a PyTorch
 *   checkpoint loads as is; bias `[outChannels]` (key `bias`);
 * - `padding_mode` is always PyTorch's only choice for this layer, `'zeros'`.
 */
export class ConvTranspose2d extends Module<[x: tf.Tensor, outputSize?: IntPair]> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly method: ConvTranspose2dMethod;
  /** `[kh, kw, outChannels/groups, inChannels]`. */
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntPair,
    options: ConvTranspose2dModuleOptions = {},
  ) {
    super();
    const where = 'ConvTranspose2d';
    this.inChannels = checkInt(where, 'inChannels', inChannels, 1);
    this.outChannels = checkInt(where, 'outChannels', outChannels, 1);
    this.groups = checkInt(where, 'groups', options.groups ?? 1, 1);
    if (inChannels % this.groups !== 0) {
      throw new Error(`${where}: inChannels ${inChannels} is not divisible by groups ${this.groups}`);
    }
    if (outChannels % this.groups !== 0) {
      throw new Error(`${where}: outChannels ${outChannels} is not divisible by groups ${this.groups}`);
    }
    const geo: ResolvedGeometry = resolveGeometry(where, kernelSize, options);
    this.kernelSize = geo.kernelSize;
    this.stride = geo.stride;
    this.padding = geo.padding;
    this.outputPadding = geo.outputPadding;
    this.dilation = geo.dilation;
    this.method = options.method ?? 'auto';
    const init = options.init ?? 'pytorch';
    if (init !== 'pytorch' && init !== 'bilinear') {
      throw new Error(`${where}: init must be 'pytorch' or 'bilinear', got ${JSON.stringify(init)}`);
    }
    const [kh, kw] = this.kernelSize;
    const cog = outChannels / this.groups;
    const bound = 1 / Math.sqrt(cog * kh * kw);
    this.weight = this.registerParameter(
      'weight',
      tf.randomUniform([kh, kw, cog, inChannels], -bound, bound),
      { layout: CONV_TRANSPOSE2D_WEIGHT_LAYOUT },
    );
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', tf.randomUniform([outChannels], -bound, bound));
    if (init === 'bilinear') initBilinear(this);
  }

  /**
   * `x`: `[N, H, W, inChannels]` → `[N, H_out, W_out, outChannels]`. With `outputSize` (`[H_out, W_out]`,
   * or one integer) the output padding is chosen to reach it, as PyTorch's `forward(input, output_size)`.
   */
  forward(x: tf.Tensor, outputSize?: IntPair): tf.Tensor4D {
    const where = `ConvTranspose2d(${this.extraRepr()}).forward`;
    if (x?.rank !== 4) {
      throw new Error(
        `${where}: input must be NHWC [batch, height, width, channels], got shape [${x?.shape ?? 'not a tensor'}]`,
      );
    }
    if (x.shape[3] !== this.inChannels) {
      throw new Error(
        `${where}: input has ${x.shape[3]} channels (shape [${x.shape}], NHWC), expected ${this.inChannels}`,
      );
    }
    const size: [number, number] = [x.shape[1]!, x.shape[2]!];
    const geo = {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
    };
    const outputPadding =
      outputSize === undefined ? this.outputPadding : outputPaddingFor(where, size, outputSize, geo);
    checkOutputSize(where, size, { ...geo, outputPadding });
    return convTranspose2d(x as tf.Tensor4D, this.weight as tf.Tensor4D, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding,
      dilation: this.dilation,
      groups: this.groups,
      method: this.method,
    });
  }

  /** The output `[H_out, W_out]` for an input of `[H, W]`. */
  outputSize(inputSize: IntPair): [number, number] {
    const s = typeof inputSize === 'number' ? ([inputSize, inputSize] as const) : inputSize;
    return checkOutputSize(`ConvTranspose2d(${this.extraRepr()}).outputSize`, [s[0], s[1]], this);
  }

  override extraRepr(): string {
    const t = (p: readonly number[]) => `(${p.join(', ')})`;
    const parts = [
      `${this.inChannels}, ${this.outChannels}, kernel_size=${t(this.kernelSize)}`,
      `stride=${t(this.stride)}`,
    ];
    if (this.padding.some((v) => v)) parts.push(`padding=${t(this.padding)}`);
    if (this.outputPadding.some((v) => v)) parts.push(`output_padding=${t(this.outputPadding)}`);
    if (this.dilation.some((v) => v !== 1)) parts.push(`dilation=${t(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=False');
    return parts.join(', ');
  }
}

/**
 * Sets a `ConvTranspose2d`'s weight to d2l's bilinear kernel (`conv_trans.weight.data.copy_(bilinear_kernel(...))`,
 * d2l 13.11.2). Needs a square kernel, `groups = 1`, and equal channel counts (or one of them 1, as d2l's
 * broadcasting allows). The bias is left as it is. Returns the layer.
 */
export function initBilinear(layer: ConvTranspose2d): ConvTranspose2d {
  const where = 'initBilinear';
  if (!(layer instanceof ConvTranspose2d)) throw new Error(`${where}: layer must be a ConvTranspose2d`);
  const [kh, kw] = layer.kernelSize;
  if (kh !== kw)
    throw new Error(`${where}: the bilinear kernel is square, but the layer's kernel is ${kh}x${kw}`);
  if (layer.groups !== 1) {
    throw new Error(`${where}: the bilinear kernel is for groups = 1, the layer has groups ${layer.groups}`);
  }
  tf.tidy(() => layer.weight.assign(bilinearKernel(layer.inChannels, layer.outChannels, kh)));
  return layer;
}
