import * as tf from '@tensorflow/tfjs-core';
import { type KernelArgs, WasmOps } from './kernel-utils.js';

/** The largest finite float32. */
const FLT_MAX = 3.4028234663852886e38;

/**
 * `MaxPoolGrad` for the 'wasm' backend, equal to the CPU backend's: each window's gradient `dy` goes to the
 * FIRST maximum of the window in row-major order, padding never wins, and a window with no element above −∞
 * passes nothing on. (tfjs-backend-wasm 4.22's own kernel starts its search at FLT_MIN, so a window whose
 * maximum is ≤ 0 — all zeros after a ReLU — loses its gradient or sends it to a wrong place, and it picks the
 * LAST of tied maxima.) The `output` input is not used: like the CPU backend, the kernel recomputes the maxima.
 *
 * Built from the WASM backend's own kernels (XNNPACK pooling and element-wise kernels, pads, concatenations),
 * with no per-element JS loop and no copy to another backend. Cells equal their window's maximum `y` iff
 * `Step(y − x) = 0` (`y` clipped to ±FLT_MAX, so that ±∞ compare exactly), and:
 * - windows that do not overlap (`filter ≤ stride`): the input, padded with −∞ to a frame where window `j`
 *   starts at `j·s`, is viewed as `[B, OH, s, OW, s, C]`; `Z = Step(y − x, α = T + 1) · (T − tap)` is largest
 *   at the first maximum of a window, `Zmax = MaxPool(Z)` names it, and `dx = Relu(Z − Zmax + 1) · dy`;
 * - windows that overlap: rows, then columns (the first maximum in row-major order is the first maximum of
 *   the first row that holds the window's maximum), each a 1-D pass where `MaxPool`s of the first `d` cells of
 *   each window tell whether the first maximum is before cell `d`, and the per-cell gradients are shifted into
 *   place with pads and interleaved with concatenations.
 * Every step is exact (comparisons by subtraction, small integers), so the result equals the CPU backend's bit
 * for bit for any input without NaN and finite `dy`; the one difference: a window whose maximum is +∞ and that
 * holds 3.4028235e38 before its first +∞. NaN inputs are not ignored as the CPU backend ignores them.
 *
 * Inputs `{dy: [B, OH, OW, C], input: [B, H, W, C] (float32), output}`; attrs `{filterSize, strides, pad
 * ('same' | 'valid' | number | explicit), dimRoundingMode}` (NHWC, dilation 1, as tfjs's `MaxPoolGrad`).
 */
export function maxPoolGradWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const x = inputs.input as tf.TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  if (x.shape.length !== 4) {
    throw new Error(
      `MaxPoolGrad (wasm): input must be rank 4 [batch, height, width, channels], got shape [${x.shape}]`,
    );
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`MaxPoolGrad (wasm): input and dy must be float32, got ${x.dtype} and ${dy.dtype}`);
  }
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== info.outShape[i])) {
    throw new Error(
      `MaxPoolGrad (wasm): dy has shape [${dy.shape}], expected [${info.outShape}] for input [${x.shape}], ` +
        `filterSize ${JSON.stringify(filterSize)}, strides ${JSON.stringify(strides)}, pad ${JSON.stringify(pad)}`,
    );
  }
  const ops = new WasmOps(backend);
  const [b, h, w, c] = x.shape as [number, number, number, number];
  if (x.shape.some((d) => d === 0) || info.outHeight <= 0 || info.outWidth <= 0) {
    return ops.run('Fill', {}, { shape: x.shape, value: 0, dtype: 'float32' });
  }
  const rows: Axis = {
    n: h,
    k: info.filterHeight,
    s: info.strideHeight,
    out: info.outHeight,
    before: info.padInfo.top,
  };
  const cols: Axis = {
    n: w,
    k: info.filterWidth,
    s: info.strideWidth,
    out: info.outWidth,
    before: info.padInfo.left,
  };
  const overlapping = rows.k > rows.s || cols.k > cols.s;
  // The frame: −∞ before the input (and after it, up to what the windows need), window j at j·s.
  const frameH = overlapping ? overlapFrame(rows) : rows.out * rows.s;
  const frameW = overlapping ? overlapFrame(cols) : cols.out * cols.s;
  // A window that starts past the input is padding only; a frame shorter than the input drops unused cells.
  const tailH = frameH - h - rows.before;
  const tailW = frameW - w - cols.before;
  let frame = padOrSame(
    ops,
    x,
    [
      [0, 0],
      [rows.before, Math.max(0, tailH)],
      [cols.before, Math.max(0, tailW)],
      [0, 0],
    ],
    -Infinity,
  );
  if (tailH < 0 || tailW < 0) frame = replace(ops, frame, crop(ops, frame, 0, 0, frameH, frameW));
  const dxFrame = overlapping
    ? overlappingGrad(ops, frame, dy, rows, cols)
    : nonOverlappingGrad(ops, frame, dy, b, c, rows, cols);
  ops.dispose(frame);
  // Back to the input: cut the padding off, add zeros for the input cells that no window covers.
  const fh = dxFrame.shape[1]!;
  const fw = dxFrame.shape[2]!;
  const keepH = Math.min(h, fh - rows.before);
  const keepW = Math.min(w, fw - cols.before);
  let dx = dxFrame;
  if (rows.before > 0 || cols.before > 0 || fh - rows.before > h || fw - cols.before > w) {
    dx = replace(ops, dx, crop(ops, dx, rows.before, cols.before, keepH, keepW));
  }
  if (keepH < h || keepW < w) {
    dx = replace(
      ops,
      dx,
      ops.pad(dx, [
        [0, 0],
        [0, h - keepH],
        [0, w - keepW],
        [0, 0],
      ]),
    );
  }
  return dx;
}

/** One spatial axis of the pooling: input length, window size, stride, number of windows, padding before. */
interface Axis {
  n: number;
  k: number;
  s: number;
  out: number;
  before: number;
}

/**
 * Frame length for overlapping windows: the input and the padding before it, and at least the first cell of
 * every window (the 1-D passes let `MaxPool` pad the windows' ends, which must not be padding only), rounded
 * up to whole strides (then a 1-D pass gives back exactly the frame's length).
 */
const overlapFrame = (a: Axis) => Math.ceil(Math.max(a.before + a.n, (a.out - 1) * a.s + 1) / a.s) * a.s;

/** Frees `old`, returns `next`. */
function replace(ops: WasmOps, old: tf.TensorInfo, next: tf.TensorInfo): tf.TensorInfo {
  ops.dispose(old);
  return next;
}

/** `t[:, top : top + h, left : left + w, :]`, sliced on a `[B, H, W·C]` view (one contiguous run per row). */
function crop(
  ops: WasmOps,
  t: tf.TensorInfo,
  top: number,
  left: number,
  h: number,
  w: number,
): tf.TensorInfo {
  const [b, th, tw, c] = t.shape as [number, number, number, number];
  const rows = ops.reshape(t, [b, th, tw * c]);
  const cut = ops.slice(rows, [0, top, left * c], [b, h, w * c]);
  const out = ops.reshape(cut, [b, h, w, c]);
  ops.dispose(rows, cut);
  return out;
}

function padOrSame(ops: WasmOps, t: tf.TensorInfo, pads: [number, number][], value = 0): tf.TensorInfo {
  return pads.every(([p, q]) => p === 0 && q === 0)
    ? ops.reshape(t, t.shape)
    : ops.run('PadV2', { x: t }, { paddings: pads, constantValue: value });
}

/** Runs `fn` with a list of tensors to free afterwards, whatever happens. */
function scoped<T>(ops: WasmOps, fn: (keep: <U extends tf.TensorInfo>(t: U) => U) => T): T {
  const owned: tf.TensorInfo[] = [];
  try {
    return fn((t) => {
      owned.push(t);
      return t;
    });
  } finally {
    ops.dispose(...owned);
  }
}

const scalar = (ops: WasmOps, value: number) => ops.run('Fill', {}, { shape: [], value, dtype: 'float32' });

/**
 * Non-overlapping windows (`k ≤ s` on both axes) on a frame `[B, OH·sh, OW·sw, C]` (window `(i, j)` at
 * `(i·sh, j·sw)`): dx on the frame. Seven element-wise passes over the frame and two `MaxPool`s.
 */
function nonOverlappingGrad(
  ops: WasmOps,
  frame: tf.TensorInfo,
  dy: tf.TensorInfo,
  b: number,
  c: number,
  rows: Axis,
  cols: Axis,
): tf.TensorInfo {
  return scoped(ops, (keep) => {
    const taps = rows.k * cols.k;
    const six = (t: tf.TensorInfo, cells: boolean) =>
      keep(ops.reshape(t, [b, rows.out, cells ? rows.s : 1, cols.out, cells ? cols.s : 1, c]));
    const pool = { strides: [rows.s, cols.s], pad: 'valid' };
    const y = keep(ops.run('MaxPool', { x: frame }, { filterSize: [rows.k, cols.k], ...pool }));
    // −∞ maxima (all-padding or all −∞ windows) become −FLT_MAX, so that no cell of them compares equal; +∞
    // maxima FLT_MAX, so that a +∞ cell gives y − x = −∞ (equal) instead of NaN.
    const yc = keep(ops.run('ClipByValue', { x: y }, { clipValueMin: -FLT_MAX, clipValueMax: FLT_MAX }));
    // Priority T − tap (row-major) in the window, 0 in the cells between windows (k < s).
    const priority: number[] = [];
    for (let uh = 0; uh < rows.s; uh++) {
      for (let uw = 0; uw < cols.s; uw++)
        priority.push(uh < rows.k && uw < cols.k ? taps - (uh * cols.k + uw) : 0);
    }
    const pShape = [1, 1, rows.s, 1, cols.s, 1];
    const p = keep({
      dataId: ops.backend.write(new Float32Array(priority), pShape, 'float32'),
      shape: pShape,
      dtype: 'float32',
    } as tf.TensorInfo);
    const diff = keep(ops.run('Sub', { a: six(yc, false), b: six(frame, true) }));
    const eq = keep(ops.run('Step', { x: diff }, { alpha: taps + 1 }));
    // (T + 1)·priority at a maximum, priority at other window cells: largest at the first maximum.
    const z = keep(ops.multiply(eq, p));
    const zFrame = keep(ops.reshape(z, frame.shape));
    const zmax = keep(ops.run('MaxPool', { x: zFrame }, { filterSize: [rows.k, cols.k], ...pool }));
    // No cell equal to the maximum (all −∞): Zmax ≤ T, no gradient.
    const hasMax = keep(
      ops.run(
        'Step',
        { x: keep(ops.run('Sub', { a: zmax, b: keep(scalar(ops, taps + 0.5)) })) },
        { alpha: 0 },
      ),
    );
    const dyGated = keep(ops.multiply(dy, hasMax));
    const zmaxLess1 = keep(ops.run('Sub', { a: zmax, b: keep(scalar(ops, 1)) }));
    const mask = keep(ops.run('Relu', { x: keep(ops.run('Sub', { a: z, b: six(zmaxLess1, false) })) }));
    const dx6 = keep(ops.multiply(mask, six(dyGated, false)));
    return ops.reshape(dx6, frame.shape);
  });
}

/**
 * Windows that overlap in some axis, on a frame `[B, LH, LW, C]` from `overlapFrame`: a pass over the rows of
 * the row maxima, then one over the columns. Returns dx on the frame.
 */
function overlappingGrad(
  ops: WasmOps,
  frame: tf.TensorInfo,
  dy: tf.TensorInfo,
  rows: Axis,
  cols: Axis,
): tf.TensorInfo {
  const [, lh, lw] = frame.shape as [number, number, number, number];
  const wh = lh / rows.s;
  const ww = lw / cols.s;
  return scoped(ops, (keep) => {
    // The maximum of each row of each window (columns ww), then of each window (rows wh).
    const rowMax = keep(windowMax(ops, frame, 2, cols.k, cols.s, ww));
    const y = keep(windowMax(ops, rowMax, 1, rows.k, rows.s, wh));
    const dyAll = keep(
      padOrSame(ops, dy, [
        [0, 0],
        [0, wh - rows.out],
        [0, ww - cols.out],
        [0, 0],
      ]),
    );
    const dRowMax = keep(firstMaxGrad1D(ops, rowMax, y, dyAll, 1, rows.k, rows.s, wh));
    return firstMaxGrad1D(ops, frame, rowMax, dRowMax, 2, cols.k, cols.s, ww);
  });
}

/**
 * `MaxPool` of the first `d` cells of `windows` windows of stride `s` along `axis` (1 = rows, 2 = columns) of
 * `t`; windows that run past the end are padded (each starts inside `t`).
 */
function windowMax(ops: WasmOps, t: tf.TensorInfo, axis: 1 | 2, d: number, s: number, windows: number) {
  const len = t.shape[axis]!;
  const end = Math.max(0, (windows - 1) * s + d - len);
  return ops.run(
    'MaxPool',
    { x: t },
    {
      filterSize: axis === 1 ? [d, 1] : [1, d],
      strides: axis === 1 ? [s, 1] : [1, s],
      pad: [
        [0, 0],
        [0, axis === 1 ? end : 0],
        [0, axis === 2 ? end : 0],
        [0, 0],
      ],
    },
  );
}

/**
 * 1-D pass along `axis`: windows of `k` cells, stride `s`, one starting at each `j·s` of `t` (length
 * `windows·s` along `axis`); `y` the windows' maxima, `dy` their gradients (both with `windows` along `axis`).
 * Returns dt, the shape of `t`.
 *
 * `P_d = MaxPool` of each window's first `d` cells equals `y` iff the first maximum is one of them; with
 * `K_d = dy·[P_d ≠ y]` (`K_0 = dy`), cell `d − 1` gets `K_{d−1} − K_d`. Cells `q·s + r` of window `j` sit in
 * block `j + q`, phase `r`: each phase is a sum of pads, and the phases are interleaved by a concatenation.
 */
function firstMaxGrad1D(
  ops: WasmOps,
  t: tf.TensorInfo,
  y: tf.TensorInfo,
  dy: tf.TensorInfo,
  axis: 1 | 2,
  k: number,
  s: number,
  windows: number,
): tf.TensorInfo {
  return scoped(ops, (keep) => {
    const yc = keep(ops.run('ClipByValue', { x: y }, { clipValueMin: -FLT_MAX, clipValueMax: FLT_MAX }));
    // cell[t]: the gradient of window cell t, on the window grid.
    const cell: tf.TensorInfo[] = [];
    let before = dy;
    for (let d = 1; d <= k; d++) {
      const prefix = d === k ? y : keep(windowMax(ops, t, axis, d, s, windows));
      const notYet = keep(ops.run('Step', { x: keep(ops.run('Sub', { a: yc, b: prefix })) }, { alpha: 0 }));
      const after = keep(ops.multiply(dy, notYet));
      cell.push(keep(ops.run('Sub', { a: before, b: after })));
      before = after;
    }
    // Phase r (cells q·s + r): block j + q gets cell q·s + r of window j. Cells past the end of t are padding
    // (never a maximum: their gradient is 0), so the last q windows' cells are dropped.
    const [b0, a1, a2, c] = y.shape as [number, number, number, number];
    const along = (lo: number, hi: number): [number, number][] => [
      [0, 0],
      axis === 1 ? [lo, hi] : [0, 0],
      axis === 2 ? [lo, hi] : [0, 0],
      [0, 0],
    ];
    const phases: tf.TensorInfo[] = [];
    for (let r = 0; r < s; r++) {
      let sum: tf.TensorInfo | undefined;
      for (let q = 0; q * s + r < k && q < windows; q++) {
        let g = cell[q * s + r]!;
        if (q > 0) {
          g = keep(axis === 1 ? crop(ops, g, 0, 0, windows - q, a2) : crop(ops, g, 0, 0, a1, windows - q));
        }
        const placed = padOrSame(ops, g, along(q, 0));
        if (sum) {
          const next = ops.run('Add', { a: sum, b: placed });
          ops.dispose(sum, placed);
          sum = next;
        } else {
          sum = placed;
        }
      }
      phases.push(keep(sum ?? ops.run('Fill', {}, { shape: y.shape, value: 0, dtype: 'float32' })));
    }
    if (s === 1) return ops.reshape(phases[0]!, t.shape);
    // Interleave: [outer, 1, inner] pieces, concatenated on axis 1.
    const outer = axis === 1 ? b0 * windows : b0 * a1 * windows;
    const inner = axis === 1 ? a2 * c : c;
    const pieces = phases.map((ph) => keep(ops.reshape(ph, [outer, 1, inner])));
    const woven = keep(ops.concat(pieces, 1));
    return ops.reshape(woven, t.shape);
  });
}
