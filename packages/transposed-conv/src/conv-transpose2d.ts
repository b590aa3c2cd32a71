import { dilateKernel } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkInt, checkTensor } from './args.js';
import { convTranspose2dDirect } from './direct.js';
import { biasGradient, transposedConvGradients } from './gradients.js';
import { type ConvTranspose2dGeometry, checkOutputSize, resolveGeometry } from './output-size.js';
import { convTranspose2dSubpixel } from './subpixel.js';

/**
 * How `convTranspose2d` computes (the results agree to float32 rounding; the speed differs):
 * - `'subpixel'`: one matrix product of the input's shifted copies with the rearranged kernel and a
 *   depth-to-space interleave (only the layer's own multiply-adds, whatever the stride: the FCN head's path;
 *   see `subpixel.ts`), with a custom gradient of two convolutions (`gradients.ts`);
 * - `'direct'`: tfjs's `conv2dTranspose` (`Conv2DBackpropInput`) per group, with tfjs's gradients (the same two
 *   convolutions); on WASM that kernel is a convolution over the input with `stride − 1` zeros inserted,
 *   `stride_h·stride_w` times the work;
 * - `'auto'` (default): `'direct'` for stride 1 (then a plain convolution with the flipped kernel), else `'subpixel'`.
 */
export type ConvTranspose2dMethod = 'auto' | 'subpixel' | 'direct';

export interface ConvTranspose2dOptions extends ConvTranspose2dGeometry {
  /** Input and output channels are split into this many groups (PyTorch's `groups`). Default 1. */
  groups?: number;
  /** Default `'auto'`. */
  method?: ConvTranspose2dMethod;
}

/** The validated arguments of one call. */
export interface ConvTranspose2dPlan {
  batch: number;
  inChannels: number;
  outChannels: number;
  inputSize: [number, number];
  outputSize: [number, number];
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
  groups: number;
  method: 'subpixel' | 'direct';
}

const METHODS: readonly string[] = ['auto', 'subpixel', 'direct'];

/** Validates `convTranspose2d`'s arguments; every error names the function, the argument and why. */
export function planConvTranspose2d(
  where: string,
  x: tf.Tensor,
  filter: tf.Tensor,
  bias: tf.Tensor | null | undefined,
  options: ConvTranspose2dOptions,
): ConvTranspose2dPlan {
  checkTensor(where, 'x', x, 4, '[batch, height, width, inChannels] (NHWC)');
  checkTensor(where, 'filter', filter, 4, '[kh, kw, outChannels/groups, inChannels]');
  const groups = checkInt(where, 'groups', options.groups ?? 1, 1);
  const method = options.method ?? 'auto';
  if (!METHODS.includes(method)) {
    throw new Error(`${where}: method must be one of ${METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  }
  const [batch, h, w, inChannels] = x.shape as [number, number, number, number];
  const [kh, kw, cog, fin] = filter.shape as [number, number, number, number];
  if (inChannels % groups !== 0) {
    throw new Error(
      `${where}: the input's ${inChannels} channels (x shape [${x.shape}], NHWC) are not divisible by groups ${groups}: ` +
        `each group must get the same number of input channels`,
    );
  }
  if (fin !== inChannels) {
    const torchHint =
      filter.shape[0] === inChannels
        ? `; it looks like PyTorch's layout [in, out/groups, kh, kw]: convert with tf.transpose(weight, [2, 3, 1, 0])`
        : '';
    throw new Error(
      `${where}: filter must be [kh, kw, outChannels/groups, inChannels] with inChannels = ${inChannels} (x shape [${x.shape}]), ` +
        `got [${filter.shape}]${torchHint}`,
    );
  }
  if (h < 1 || w < 1 || kh < 1 || kw < 1 || cog < 1 || batch < 1) {
    throw new Error(`${where}: empty tensor: x shape [${x.shape}], filter shape [${filter.shape}]`);
  }
  const outChannels = cog * groups;
  if (bias != null) {
    checkTensor(where, 'bias', bias, 1, `[outChannels] = [${outChannels}]`);
    if (bias.shape[0] !== outChannels) {
      throw new Error(
        `${where}: bias must be [outChannels] = [${outChannels}] (filter [${filter.shape}] × groups ${groups}), got [${bias.shape}]`,
      );
    }
  }
  const geo = resolveGeometry(where, [kh, kw], options);
  const outputSize = checkOutputSize(where, [h, w], geo);
  return {
    batch,
    inChannels,
    outChannels,
    inputSize: [h, w],
    outputSize,
    ...geo,
    groups,
    method: method === 'auto' ? (geo.stride[0] === 1 && geo.stride[1] === 1 ? 'direct' : 'subpixel') : method,
  };
}

/**
 * 2-D transposed convolution with PyTorch's semantics (`torch.nn.functional.conv_transpose2d`), on NHWC
 * tensors: every input pixel scatters `x[b, i, j, :]·filter` into the output at `(i·stride − padding +
 * tap·dilation)`; groups as PyTorch (output channel `o` reads input group `⌊o / (C_out/groups)⌋`).
 *
 * - `x`: `[B, H, W, C_in]`;
 * - `filter`: `[kh, kw, C_out/groups, C_in]` (tfjs `conv2dTranspose`'s layout; PyTorch's weight
 *   `[C_in, C_out/groups, kh, kw]` is `tf.transpose(filter, [3, 2, 0, 1])`, the other way `[2, 3, 1, 0]`);
 * - `bias`: `[C_out]` or null;
 * - options: `stride`, `padding`, `outputPadding`, `dilation` (integers or `[h, w]` pairs; defaults 1, 0, 0, 1),
 *   `groups` (default 1), `method` (see {@link ConvTranspose2dMethod});
 * - returns `[B, H_out, W_out, C_out]` with `H_out = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1`
 *   ({@link convTranspose2dOutputSize}).
 *
 * Differentiable in `x`, `filter` and `bias` (dilation and groups included) on every backend with conv2d's
 * gradient kernels `Conv2DBackpropInput` and `Conv2DBackpropFilter`: CPU, WebGPU, and WASM after
 * `initBackend('wasm')` from `@cv/core` (which registers the filter gradient tfjs-backend-wasm lacks).
 *
 * Errors (thrown before any computation): input channels not divisible by `groups`, a filter that is not
 * `[kh, kw, C_out/groups, C_in]` (PyTorch's layout is recognised and named), a bias that is not `[C_out]`,
 * `outputPadding` not smaller than `stride` or `dilation`, an output smaller than 1x1.
 *
 * @example
 * // d2l 13.10.2: stride 2 on a 2x2 input and kernel
 * const X = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]);
 * const K = tf.tensor4d([0, 1, 2, 3], [2, 2, 1, 1]);
 * convTranspose2d(X, K, null, { stride: 2 }); // [1, 4, 4, 1]: 0 0 0 1 / 0 0 2 3 / 0 2 0 3 / 4 6 6 9
 */
export function convTranspose2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias?: tf.Tensor1D | tf.Tensor | null,
  options: ConvTranspose2dOptions = {},
): tf.Tensor4D {
  const plan = planConvTranspose2d('convTranspose2d', x, filter, bias, options);
  return tf.tidy(() => {
    const fd = dilateKernel(filter, plan.dilation[0], plan.dilation[1]);
    const y =
      (plan.method === 'direct'
        ? convTranspose2dDirect(
            x,
            fd,
            plan.stride,
            plan.padding,
            plan.outputPadding,
            plan.outputSize,
            plan.groups,
          )
        : null) ?? subpixelWithGradient(x, fd, plan);
    return bias ? addBias(y, bias) : y;
  });
}

/**
 * The `'subpixel'` forward pass with the convolution gradients of {@link transposedConvGradients} (a custom
 * gradient: the forward's reshuffles are not recorded, and the backward is two convolutions).
 */
function subpixelWithGradient(x: tf.Tensor4D, filter: tf.Tensor4D, plan: ConvTranspose2dPlan): tf.Tensor4D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xx, ff, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xx, ff]);
    return {
      value: convTranspose2dSubpixel(xx, ff, plan.stride, plan.padding, plan.outputSize, plan.groups),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sf] = saved as [tf.Tensor4D, tf.Tensor4D];
        return transposedConvGradients(
          dy as tf.Tensor4D,
          sx,
          sf,
          plan.stride,
          plan.padding,
          plan.outputPadding,
          plan.groups,
        );
      },
    };
  });
  return op(x, filter) as tf.Tensor4D;
}

/** `y + bias` (bias on the last axis) whose bias gradient is {@link biasGradient} (fast on WASM). */
const addBias = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [y, bias] = args as [tf.Tensor, tf.Tensor];
  return {
    value: tf.add(y, bias),
    gradFunc: (dy: tf.Tensor) => [dy, biasGradient(dy)],
  };
}) as (y: tf.Tensor4D, bias: tf.Tensor) => tf.Tensor4D;
