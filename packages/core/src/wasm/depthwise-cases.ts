// Shared by the depthwise backprop tests (not exported by the package).
import * as tf from '@tensorflow/tfjs-core';
import type { Pad } from './parity-helpers.js';

export interface DwCase {
  x: [number, number, number, number];
  k: [number, number];
  /** Channel multiplier. */
  m: number;
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  round?: 'floor' | 'round' | 'ceil';
}

// Tiny spatial sizes: strides 1–2, kernels 1–5, batch 1–8, channels 1–64, multiplier 1–2, every padding
// kind, and dilations (which tfjs-core's depthwise gradient refuses, but the kernels accept).
export const DW_CASES: DwCase[] = [
  { x: [1, 5, 5, 1], k: [3, 3], m: 1, strides: 1, pad: 'same' },
  { x: [2, 6, 6, 3], k: [3, 3], m: 2, strides: 2, pad: 'same' },
  { x: [3, 7, 5, 4], k: [5, 5], m: 1, strides: 1, pad: 'valid' },
  {
    x: [4, 5, 5, 16],
    k: [3, 3],
    m: 1,
    strides: 2,
    pad: [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  },
  { x: [8, 4, 4, 2], k: [2, 2], m: 2, strides: 1, pad: 'valid' },
  { x: [1, 6, 6, 64], k: [3, 3], m: 1, strides: 1, pad: 'same' },
  { x: [2, 5, 6, 3], k: [1, 1], m: 2, strides: 2, pad: 'valid' },
  { x: [2, 8, 8, 5], k: [3, 3], m: 1, strides: 2, pad: 1, round: 'ceil' },
  { x: [2, 7, 9, 2], k: [4, 3], m: 2, strides: [1, 2], pad: 'same' },
  { x: [2, 8, 8, 3], k: [3, 3], m: 2, strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 9, 7, 4], k: [3, 2], m: 1, strides: 1, pad: 'valid', dilations: [2, 3] },
];

export const dwName = (c: DwCase) =>
  `x [${c.x}] k ${c.k.join('x')} ×${c.m}, strides ${JSON.stringify(c.strides)}, pad ${JSON.stringify(c.pad)}` +
  `${c.dilations ? `, dilations ${JSON.stringify(c.dilations)}` : ''}${c.round ? ` ${c.round}` : ''}`;

export function dwInfo(c: DwCase): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    c.x,
    [c.k[0], c.k[1], c.x[3], c.m],
    c.strides,
    c.dilations ?? 1,
    c.pad,
    c.round,
    true,
  );
}

/** Direct loops over the definition: dW from x and dy, dx from dy and the filter w. */
export function naiveDepthwiseGrads(c: DwCase, x: Float32Array, dy: Float32Array, w: Float32Array) {
  const info = dwInfo(c);
  const [b, h, wd, ch] = c.x;
  const {
    outHeight: oh,
    outWidth: ow,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
  } = info;
  const { top, left } = info.padInfo;
  const [kh, kw] = c.k;
  const m = c.m;
  const dW = new Float64Array(kh * kw * ch * m);
  const dx = new Float64Array(b * h * wd * ch);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let p = 0; p < kh; p++)
          for (let q = 0; q < kw; q++) {
            const r = i * sh + p * dh - top;
            const s = j * sw + q * dw - left;
            if (r < 0 || r >= h || s < 0 || s >= wd) continue;
            for (let cc = 0; cc < ch; cc++)
              for (let mm = 0; mm < m; mm++) {
                const g = dy[((n * oh + i) * ow + j) * ch * m + cc * m + mm]!;
                const xi = ((n * h + r) * wd + s) * ch + cc;
                const wi = ((p * kw + q) * ch + cc) * m + mm;
                dW[wi]! += x[xi]! * g;
                dx[xi]! += w[wi]! * g;
              }
          }
  return { dW, dx };
}
