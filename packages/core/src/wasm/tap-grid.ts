import type * as tf from '@tensorflow/tfjs-core';
import type { WasmOps } from './kernel-utils.js';

/**
 * The geometry shared by the filter gradients: the padded input seen as `s_h·s_w` stride phases, each a grid
 * of `Hq x Wq` positions per image, so that every filter tap `(kh, kw)` reads the flattened grid of one phase
 * shifted by a constant offset (see {@link tapGradient} and `conv2dBackpropFilterWasm`).
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

/** How a filter gradient combines each tap's input window with `dy` (see {@link tapGradient}). */
export interface TapReduction {
  /** Leading dimensions the window `[Ci, K]` is reshaped to before {@link TapReduction.tap}: `[..window, K]`. */
  window: [number, number];
  /** The operand every tap shares, made once from `dy` on the grid `[K, C_dy]` (owned: free it). */
  packDy(dyg: tf.TensorInfo, k: number): tf.TensorInfo;
  /** One tap's gradient from its input window (owned: free it) and the packed `dy` (not to be freed). */
  tap(window: tf.TensorInfo, packedDy: tf.TensorInfo): tf.TensorInfo;
}

/**
 * A filter gradient `[KH, KW, Ci, C]` (`shape`) on the phase grid: the input split into stride phases
 * ({@link phaseSplit}), `dy` laid on the grid delayed by the largest tap offset ({@link dyOnGrid}) and packed
 * once, and for every tap `(kh, kw)` (row-major) its phase delayed by `maxOffset − offset` (a zero pad: no
 * gathers, no slices) and reduced with the packed `dy` by `reduce.tap`; the taps' results are stacked and
 * reshaped to `shape`. All zeros when the convolution has no output, no image or no channel.
 */
export function tapGradient(
  ops: WasmOps,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  shape: [number, number, number, number],
  reduce: TapReduction,
): tf.TensorInfo {
  const [kh, kw, ci] = shape;
  if (isZeroFilterGradient(info, shape)) return ops.zeros(shape);
  const g = phaseGrid(info);
  const taps: { phase: number; offset: number }[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(tapOffset(info, g, i, j));
  const qh = Math.floor(((kh - 1) * info.dilationHeight) / info.strideHeight);
  const qw = Math.floor(((kw - 1) * info.dilationWidth) / info.strideWidth);
  const maxOff = qh * g.wq + qw;
  const xg = phaseSplit(ops, x, info, g); // [P·Ci, T]
  const dyg = dyOnGrid(ops, dy, g, qh, qw, g.t + maxOff); // [K, C_dy]
  const k = dyg.shape[0]!;
  const packed = reduce.packDy(dyg, k);
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
      const a = ops.reshape(shifted, [...reduce.window, k]);
      ops.dispose(shifted);
      out.push(reduce.tap(a, packed));
    }
  } finally {
    ops.dispose(xg, packed, ...xPhase);
  }
  const stacked = out.length === 1 ? out[0]! : ops.concat(out, 0);
  const result = ops.reshape(stacked, shape);
  ops.dispose(...out);
  if (stacked !== out[0]) ops.dispose(stacked);
  return result;
}

/**
 * True when a filter gradient `[KH, KW, Ci, C]` (`shape`) sums over nothing or has no element: the convolution
 * has no output pixel or no image, or `Ci` or `C` is 0. It is then all zeros.
 */
export function isZeroFilterGradient(info: tf.backend_util.Conv2DInfo, shape: number[]): boolean {
  return (
    info.outHeight <= 0 || info.outWidth <= 0 || info.batchSize === 0 || shape[2] === 0 || shape[3] === 0
  );
}
