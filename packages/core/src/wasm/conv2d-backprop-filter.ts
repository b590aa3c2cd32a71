import * as tf from '@tensorflow/tfjs-core';
import { assertChannelsLast, type KernelArgs, WasmOps } from './kernel-utils.js';

/**
 * The geometry shared by the filter gradients: the padded input seen as `s_h·s_w` stride phases, each a grid
 * of `Hq x Wq` positions per image, so that every filter tap `(kh, kw)` reads the flattened grid of one phase
 * shifted by a constant offset (see {@link conv2dBackpropFilterWasm}).
 */
export interface PhaseGrid {
  /** Grid height and width of one phase: `OH + ⌊(KH−1)/s_h⌋`, `OW + ⌊(KW−1)/s_w⌋`. */
  hq: number;
  wq: number;
  /** Positions per phase, `B·Hq·Wq`. */
  t: number;
}

export function phaseGrid(info: tf.backend_util.Conv2DInfo): PhaseGrid {
  const dh = info.dilationHeight;
  const dw = info.dilationWidth;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const hq = info.outHeight + Math.floor(((info.filterHeight - 1) * dh) / sh);
  const wq = info.outWidth + Math.floor(((info.filterWidth - 1) * dw) / sw);
  return { hq, wq, t: info.batchSize * hq * wq };
}

/** Phase index and offset in the flattened grid of filter tap `(kh, kw)`. */
export function tapOffset(info: tf.backend_util.Conv2DInfo, g: PhaseGrid, kh: number, kw: number) {
  const rowH = kh * info.dilationHeight;
  const rowW = kw * info.dilationWidth;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  return {
    phase: (rowH % sh) * sw + (rowW % sw),
    offset: Math.floor(rowH / sh) * g.wq + Math.floor(rowW / sw),
  };
}

/**
 * NHWC `x [B, H, W, C]` padded (or cropped) to `[B, Hq·s_h, Wq·s_w]` and split into its stride phases,
 * channels first: `[s_h·s_w·C, B·Hq·Wq]`, row `(rh·s_w + rw)·C + c`, column `b·Hq·Wq + i·Wq + j` holding
 * `xpad[b, i·s_h + rh, j·s_w + rw, c]`.
 */
export function phaseSplit(
  ops: WasmOps,
  x: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  g: PhaseGrid,
): tf.TensorInfo {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const rows = g.hq * sh;
  const cols = g.wq * sw;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Channels first, then pad rows and columns (long contiguous runs: fast in the WASM PadV2).
  const xt = c === 1 ? ops.reshape(x, [b, h, w]) : ops.transpose(x, [3, 0, 1, 2]);
  const x3 = ops.reshape(xt, [c * b, h, w]);
  ops.dispose(xt);
  const xp = ops.padOrCrop(x3, [
    [0, 0],
    [top, rows - top - h],
    [left, cols - left - w],
  ]);
  ops.dispose(x3);
  if (sh === 1 && sw === 1) {
    const out = ops.reshape(xp, [c, g.t]);
    ops.dispose(xp);
    return out;
  }
  // [C·B·Hq, s_h, Wq, s_w] → [s_h, s_w, C·B·Hq, Wq]
  const x4 = ops.reshape(xp, [c * b * g.hq, sh, g.wq, sw]);
  ops.dispose(xp);
  const ph = ops.transpose(x4, [1, 3, 0, 2]);
  ops.dispose(x4);
  const out = ops.reshape(ph, [sh * sw * c, g.t]);
  ops.dispose(ph);
  return out;
}

/**
 * `dy [B, OH, OW, C]` laid on the phase grid, delayed by `delay = qh·Wq + qw` positions (zeros where no
 * output is), then extended with zeros to at least `length` rows: `[K, C]`, row `delay + b·Hq·Wq + oh·Wq + ow`.
 * A whole zero image is added when that is the cheaper way to extend (large batches), else zero rows.
 */
export function dyOnGrid(
  ops: WasmOps,
  dy: tf.TensorInfo,
  g: PhaseGrid,
  qh: number,
  qw: number,
  length: number,
): tf.TensorInfo {
  const [b, oh, ow, c] = dy.shape as [number, number, number, number];
  const image = g.hq * g.wq;
  const extraImages = length > g.t && length - g.t <= image && b >= 8 ? 1 : 0;
  // Rows and (column, channel) merged: every padded run is long.
  const d3 = ops.reshape(dy, [b, oh, ow * c]);
  const padded = ops.padOrCrop(d3, [
    [0, extraImages],
    [qh, g.hq - oh - qh],
    [qw * c, (g.wq - ow - qw) * c],
  ]);
  ops.dispose(d3);
  const n = (b + extraImages) * image;
  const flat = ops.reshape(padded, [n, c]);
  ops.dispose(padded);
  if (n >= length) return flat;
  const out = ops.padOrCrop(flat, [
    [0, length - n],
    [0, 0],
  ]);
  ops.dispose(flat);
  return out;
}

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
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new Error(
      `Conv2DBackpropFilter (wasm): x and dy must be rank 4, got x [${x.shape}] and dy [${dy.shape}]`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.some((d, i) => d !== outShape[i])) {
    throw new Error(
      `Conv2DBackpropFilter (wasm): dy has shape [${dy.shape}], expected [${outShape}] for x [${x.shape}] and filter [${filterShape}]`,
    );
  }
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
  if (info.outHeight <= 0 || info.outWidth <= 0 || info.batchSize === 0 || ci === 0 || co === 0) {
    return ops.run('Fill', {}, { shape: [kh, kw, ci, co], value: 0, dtype: 'float32' });
  }
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
  if (info.outHeight <= 0 || info.outWidth <= 0 || info.batchSize === 0 || ci === 0 || co === 0) {
    return ops.run('Fill', {}, { shape: [kh, kw, ci, co], value: 0, dtype: 'float32' });
  }
  const g = phaseGrid(info);
  const taps: { phase: number; offset: number }[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(tapOffset(info, g, i, j));
  const qh = Math.floor(((kh - 1) * info.dilationHeight) / info.strideHeight);
  const qw = Math.floor(((kw - 1) * info.dilationWidth) / info.strideWidth);
  const maxOff = qh * g.wq + qw;
  const xg = phaseSplit(ops, x, info, g); // [P·Ci, T]
  // dY on the grid delayed by maxOff, [K, Co]: packed once by XNNPACK and shared by the KH·KW GEMMs.
  const dyg = dyOnGrid(ops, dy, g, qh, qw, g.t + maxOff);
  const k = dyg.shape[0]!;
  const b = ops.reshape(dyg, [1, k, co]);
  ops.dispose(dyg);
  const xPhase: (tf.TensorInfo | undefined)[] = [];
  const out: tf.TensorInfo[] = [];
  try {
    for (const { phase, offset } of taps) {
      let xp = xPhase[phase];
      if (!xp) {
        xp = xg.shape[0] === ci ? ops.reshape(xg, [ci, g.t]) : ops.slice(xg, [phase * ci, 0], [ci, g.t]);
        xPhase[phase] = xp;
      }
      // a[:, q] = X[:, q − maxOff + offset] (zeros outside): the tap's input window, aligned with the delayed dY.
      const shifted = ops.pad(xp, [
        [0, 0],
        [maxOff - offset, k - g.t - maxOff + offset],
      ]);
      const a = ops.reshape(shifted, [1, ci, k]);
      ops.dispose(shifted);
      out.push(ops.matMul(a, b));
      ops.dispose(a);
    }
  } finally {
    ops.dispose(xg, b, ...xPhase);
  }
  const stacked = out.length === 1 ? out[0]! : ops.concat(out, 0);
  const result = ops.reshape(stacked, [kh, kw, ci, co]);
  ops.dispose(...out);
  if (stacked !== out[0]) ops.dispose(stacked);
  return result;
}
