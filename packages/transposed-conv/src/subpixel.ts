import * as tf from '@tensorflow/tfjs-core';

// Transposed convolution as a matrix product ("sub-pixel" form). Notation per spatial axis: input length n,
// (dilated) kernel length k, stride s, padding p, output length out. The uncropped output row is
// u = i·s + tap (input row i) and PyTorch's output row is o = u − p. With the kernel padded to q·s taps
// (q = ⌈k/s⌉), block m of s rows (u = m·s + r, phase r) reads the input rows m − j, j < q, through the taps
// j·s + r: a product of the q shifted copies of the input with the kernel rearranged by (j, r). Only the
// blocks that survive PyTorch's crop are computed (m0 … m0 + nb − 1). All transposes have rank ≤ 4:
// tfjs-backend-wasm's rank-5 and rank-6 transposes are ~100x slower per element. Crops and pads work on a
// [B, H, W·C] view, so that tfjs-backend-wasm's Slice (a JavaScript loop over runs) copies long runs.

interface Axis {
  n: number;
  k: number;
  s: number;
  p: number;
  out: number;
  /** Taps per phase, first computed block, number of computed blocks. */
  q: number;
  m0: number;
  nb: number;
}

function axisPlan(n: number, k: number, s: number, p: number, out: number): Axis {
  const q = Math.ceil(k / s);
  const blocks = n + q - 1;
  const m0 = Math.min(Math.floor(p / s), blocks - 1);
  const m1 = Math.min(blocks - 1, Math.floor((p + out - 1) / s));
  return { n, k, s, p, out, q, m0, nb: Math.max(1, m1 - m0 + 1) };
}

/** Rows `[top, top + height)` and columns `[left, left + width)` of `x` `[B, H, W·C]` (viewed), zeros outside. */
function window3d(
  x: tf.Tensor3D,
  c: number,
  top: number,
  height: number,
  left: number,
  width: number,
): tf.Tensor3D {
  const [b, h, wc] = x.shape;
  const w = wc / c;
  const r0 = Math.max(0, top);
  const r1 = Math.min(h, top + height);
  const c0 = Math.max(0, left);
  const c1 = Math.min(w, left + width);
  let y = x;
  if (r1 <= r0 || c1 <= c0) return tf.zeros([b, height, width * c]);
  if (r0 !== 0 || r1 !== h || c0 !== 0 || c1 !== w) {
    y = tf.slice(x, [0, r0, c0 * c], [b, r1 - r0, (c1 - c0) * c]);
  }
  const pads: Array<[number, number]> = [
    [0, 0],
    [r0 - top, top + height - r1],
    [(c0 - left) * c, (left + width - c1) * c],
  ];
  return pads.some(([u, v]) => u || v) ? tf.pad(y, pads) : y;
}

/**
 * `[T, rows, groups·cig]` → `[groups, rows, T·cig]` (or `[rows, T·cig]` for one group): the matrix of the
 * `T` shifted input copies, one row per output block.
 */
function tapsToCols(stacked: tf.Tensor, taps: number, rows: number, groups: number, cig: number): tf.Tensor {
  if (groups === 1) {
    return taps === 1
      ? tf.reshape(stacked, [rows, cig])
      : tf.reshape(tf.transpose(tf.reshape(stacked, [taps, rows, cig]), [1, 0, 2]), [rows, taps * cig]);
  }
  return tf.reshape(tf.transpose(tf.reshape(stacked, [taps, rows, groups, cig]), [2, 1, 0, 3]), [
    groups,
    rows,
    taps * cig,
  ]);
}

/** Aligned-grid input matrix `[groups?, B·nb_h·nb_w, q_h·q_w·cig]` from `x` `[B, H, W, C]`. */
function alignedCols(x: tf.Tensor4D, ah: Axis, aw: Axis, groups: number): tf.Tensor {
  const [b, h, w, c] = x.shape;
  const x3 = tf.reshape(x, [b, h, w * c]) as tf.Tensor3D;
  const shifted: tf.Tensor3D[] = [];
  for (let jh = 0; jh < ah.q; jh++) {
    for (let jw = 0; jw < aw.q; jw++) {
      // Block m reads input row m − j.
      shifted.push(window3d(x3, c, ah.m0 - jh, ah.nb, aw.m0 - jw, aw.nb));
    }
  }
  const taps = ah.q * aw.q;
  const stacked = taps === 1 ? shifted[0]! : tf.stack(shifted);
  return tapsToCols(stacked, taps, b * ah.nb * aw.nb, groups, c / groups);
}

/**
 * Aligned-grid kernel matrix `[groups?, q_h·q_w·cig, s_h·s_w·cog]` from the (dilated) filter
 * `[k_h, k_w, cog, C]`: row `(j_h, j_w, ci)`, column `(r_h, r_w, co)` holds `filter[j_h·s_h + r_h, j_w·s_w + r_w, co, ci]`.
 */
function alignedKernel(filter: tf.Tensor4D, ah: Axis, aw: Axis, groups: number): tf.Tensor {
  const [kh, kw, cog, c] = filter.shape;
  const cig = c / groups;
  const ph = ah.q * ah.s;
  const pw = aw.q * aw.s;
  const f =
    ph > kh || pw > kw
      ? tf.pad(filter, [
          [0, ph - kh],
          [0, pw - kw],
          [0, 0],
          [0, 0],
        ])
      : filter;
  // [ph·pw·cog, g, cig] → [g, cig, q_h, s_h, q_w, s_w·cog] → [g, q_h, cig, s_h, q_w, s_w·cog] → [g, q_h, q_w, cig, s_h, s_w·cog]
  const t1 = tf.transpose(tf.reshape(f, [ph * pw * cog, groups, cig]), [1, 2, 0]);
  const t2 = tf.transpose(tf.reshape(t1, [groups, cig, ah.q, ah.s * pw * cog]), [0, 2, 1, 3]);
  const t3 = tf.transpose(tf.reshape(t2, [groups * ah.q, cig * ah.s, aw.q, aw.s * cog]), [0, 2, 1, 3]);
  const rows = ah.q * aw.q * cig;
  const cols = ah.s * aw.s * cog;
  return groups === 1 ? tf.reshape(t3, [rows, cols]) : tf.reshape(t3, [groups, rows, cols]);
}

/**
 * A product's result `[groups?, (rowsH, nbW), (lenH, lenW, cog)]` as image rows `[rowsH, lenH, nbW, lenW·C_out]`
 * (depth to space; output channel `g·cog + co`), by rank-4 transposes.
 */
function blockRows(
  y: tf.Tensor,
  rowsH: number,
  nbW: number,
  lenH: number,
  lenW: number,
  cog: number,
  groups: number,
): tf.Tensor {
  const cout = cog * groups;
  if (groups === 1) return tf.transpose(tf.reshape(y, [rowsH, nbW, lenH, lenW * cog]), [0, 2, 1, 3]);
  const t = tf.transpose(tf.reshape(y, [groups, rowsH * nbW * lenH, lenW, cog]), [1, 2, 0, 3]);
  return tf.transpose(tf.reshape(t, [rowsH, nbW, lenH, lenW * cout]), [0, 2, 1, 3]);
}

/**
 * Transposed convolution as one matrix product, for any stride (the forward pass of `convTranspose2d`'s
 * `'subpixel'` method; `conv-transpose2d.ts` gives it its gradient).
 *
 * A product `cols · G` of the input's `q_h·q_w` shifted copies `[B·nb_h·nb_w, q_h·q_w·C_in]` with the
 * rearranged kernel `[q_h·q_w·C_in, s_h·s_w·C_out]`, a depth-to-space interleave (rank-4 transposes) and
 * PyTorch's crop. Every multiply-add is one of the layer's own (plus the zero taps that pad the kernel to
 * `q·s`): for the FCN head (k 64, s 32, p 16) one GEMM of inner size 4·C_in, against `s_h·s_w` = 1024 times
 * the work for the zero-inserted convolution of tfjs's `conv2dTranspose`. Groups are a batched product.
 *
 * @param x `[B, H, W, C_in]`
 * @param filter dilated, `[k_h, k_w, C_out/groups, C_in]`
 * @returns `[B, H_out, W_out, C_out]`, without bias
 */
export function convTranspose2dSubpixel(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: readonly [number, number],
  padding: readonly [number, number],
  outSize: readonly [number, number],
  groups: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w] = x.shape;
    const [kh, kw, cog] = filter.shape;
    const ah = axisPlan(h, kh, stride[0], padding[0], outSize[0]);
    const aw = axisPlan(w, kw, stride[1], padding[1], outSize[1]);
    const cout = cog * groups;
    const y = tf.matMul(alignedCols(x, ah, aw, groups), alignedKernel(filter, ah, aw, groups));
    const rows = blockRows(y, b * ah.nb, aw.nb, ah.s, aw.s, cog, groups);
    const img = tf.reshape(rows, [b, ah.nb * ah.s, aw.nb * aw.s * cout]) as tf.Tensor3D;
    const out = window3d(img, cout, ah.p - ah.m0 * ah.s, ah.out, aw.p - aw.m0 * aw.s, aw.out);
    return tf.reshape(out, [b, ah.out, aw.out, cout]);
  });
}
