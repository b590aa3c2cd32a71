import type * as tf from '@tensorflow/tfjs-core';
import {
  assertChannelsLast,
  assertRank4,
  backpropConvInfo,
  type KernelArgs,
  WasmOps,
} from './kernel-utils.js';
import { isZeroFilterGradient, tapGradient } from './tap-grid.js';

/**
 * `Conv2DBackpropFilter` for the 'wasm' backend, from the WASM backend's own kernels.
 *
 * dW[kh, kw, ci, co] = Σ_{b, oh, ow} xpad[b, oh·s_h + kh, ow·s_w + kw, ci] · dy[b, oh, ow, co].
 *
 * The padded input is split into its `s_h·s_w` stride phases (stride 1: one) and each phase flattened,
 * channels first, to a grid of `T = B·Hq·Wq` positions; `dy` is laid on the same grid (zeros where there is
 * no output). The input pixel that tap `(kh, kw)` pairs with grid position `p` is then `p + offset(kh, kw)`
 * of one phase, so `dW[kh, kw] = Σ_p X[:, p + offset] ⊗ dY[p]`. With `dY` delayed by the largest offset and
 * each tap's `X` delayed by `maxOffset − offset` (both zero pads: no gathers, no slices), every tap is a
 * `[Ci, K] x [K, Co]` GEMM that the WASM backend runs on XNNPACK, with `dY` packed once for all KH·KW GEMMs.
 * Extra work over the exact sum: the grid's border positions, `Hq·Wq / (OH·OW)` (+1.6% at 256x256, 3x3).
 *
 * Inputs `{x: [B, H, W, Ci], dy: [B, OH, OW, Co]}`; attrs `{strides, pad, dataFormat ('NHWC' only),
 * dimRoundingMode, filterShape: [KH, KW, Ci, Co]}` as tfjs-core's `conv2DBackpropFilter` op sends them.
 */
export function conv2dBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  assertChannelsLast('Conv2DBackpropFilter', dataFormat);
  assertRank4('Conv2DBackpropFilter', { x, dy });
  const info = backpropConvInfo('Conv2DBackpropFilter', { name: 'x', shape: x.shape }, filterShape, dy, {
    strides,
    dilations: 1,
    pad,
    dimRoundingMode,
    depthwise: false,
  });
  const ops = new WasmOps(backend);
  // Measured here (2-core x86, batch 32, 3x3 'same'): the GEMM form is faster at stride 1, the convolution
  // form at stride 2 (144 vs 261 ms at 128x128x16→32), where the GEMM form must gather stride phases.
  if (info.strideHeight > 1 || info.strideWidth > 1) return filterGradientByConv(ops, x, dy, info);
  return filterGradient(ops, x, dy, info);
}

/**
 * dW as one XNNPACK convolution with batch and channels swapped: the input is `x` as `[Ci, H, W, B]`
 * (images become channels), the filter is `dy` as `[OH, OW, B, Co]`, stride 1 and dilation = the original
 * stride, so output pixel `(ci, kh, kw)` sums `xpad[b, kh + oh·s_h, kw + ow·s_w, ci] · dy[b, oh, ow, co]`
 * over `b, oh, ow`: exactly dW. XNNPACK packs `dy` as the filter (once) and reads `x` through its
 * indirection buffer, so no window is copied.
 */
export function filterGradientByConv(
  ops: WasmOps,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  if (isZeroFilterGradient(info, [kh, kw, ci, co])) return ops.zeros([kh, kw, ci, co]);
  const { top, left } = info.padInfo;
  // Rows below the last one the convolution reads are cut from the (small) result instead of from x.
  const bottom = kh + (info.outHeight - 1) * info.strideHeight - info.inHeight - top;
  const right = kw + (info.outWidth - 1) * info.strideWidth - info.inWidth - left;
  const xt = ops.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, B]
  const dyt = ops.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, Co]
  let out: tf.TensorInfo;
  try {
    out = ops.run(
      'Conv2D',
      { x: xt, filter: dyt },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, Math.max(0, bottom)],
          [left, Math.max(0, right)],
          [0, 0],
        ],
        dilations: [info.strideHeight, info.strideWidth],
        dataFormat: 'NHWC',
      },
    ); // [Ci, KH (+ cut rows), KW (+ cut columns), Co]
  } finally {
    ops.dispose(xt, dyt);
  }
  if (bottom < 0 || right < 0) {
    const cut = ops.slice(out, [0, 0, 0, 0], [ci, kh, kw, co]);
    ops.dispose(out);
    out = cut;
  }
  const result = ops.transpose(out, [1, 2, 0, 3]);
  ops.dispose(out);
  return result;
}

/** dW `[KH, KW, Ci, Co]` of a (dilated) convolution in the GEMM form; `info` from `computeConv2DInfo`. */
export function filterGradient(
  ops: WasmOps,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  return tapGradient(ops, x, dy, info, [kh, kw, ci, co], {
    window: [1, ci],
    // dY on the grid delayed by maxOff, [1, K, Co]: packed once by XNNPACK and shared by the KH·KW GEMMs.
    packDy: (dyg, k) => {
      const b = ops.reshape(dyg, [1, k, co]);
      ops.dispose(dyg);
      return b;
    },
    tap: (a, b) => {
      const out = ops.matMul(a, b); // [1, Ci, Co]
      ops.dispose(a);
      return out;
    },
  });
}
