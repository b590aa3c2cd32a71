// Shared by the Conv2DBackpropFilter and Conv2DBackpropInput tests (not exported by the package).
import * as tf from '@tensorflow/tfjs-core';
import type { Pad } from './parity-helpers.js';

export interface ConvCase {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  strides: number | [number, number];
  pad: Pad;
  round?: 'floor' | 'round' | 'ceil';
}

// Tiny spatial sizes, every geometry the kernels handle: strides 1–3 (and unequal), kernels 1–5 (and even,
// non-square), batch 1–8, channels 1–64, 'same' / 'valid' / explicit (asymmetric, larger than the kernel) /
// numeric padding with each dimRoundingMode, inputs whose last rows the convolution never reads.
export const CONV_CASES: ConvCase[] = [
  { x: [1, 5, 5, 1], k: [1, 1], co: 1, strides: 1, pad: 'valid' },
  { x: [2, 6, 7, 3], k: [3, 3], co: 4, strides: 1, pad: 'same' },
  { x: [2, 7, 6, 3], k: [3, 3], co: 5, strides: 2, pad: 'same' },
  { x: [3, 8, 8, 4], k: [5, 5], co: 2, strides: 1, pad: 'valid' },
  { x: [1, 9, 10, 2], k: [5, 5], co: 3, strides: 2, pad: 'valid' },
  { x: [8, 4, 4, 16], k: [3, 3], co: 8, strides: 1, pad: 'same' },
  {
    x: [2, 5, 5, 64],
    k: [3, 3],
    co: 32,
    strides: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { x: [4, 6, 6, 8], k: [2, 2], co: 64, strides: 2, pad: 'same' },
  { x: [2, 8, 8, 5], k: [3, 3], co: 6, strides: 2, pad: 1, round: 'floor' },
  { x: [2, 8, 8, 5], k: [3, 3], co: 6, strides: 2, pad: 1, round: 'ceil' },
  { x: [2, 8, 7, 5], k: [3, 3], co: 6, strides: 2, pad: 1, round: 'round' },
  { x: [3, 5, 8, 3], k: [4, 2], co: 7, strides: [2, 1], pad: 'same' },
  {
    x: [1, 3, 3, 2],
    k: [3, 3],
    co: 2,
    strides: 1,
    pad: [
      [0, 0],
      [3, 3],
      [0, 4],
      [0, 0],
    ],
  },
  { x: [2, 10, 10, 3], k: [1, 1], co: 4, strides: 2, pad: 'valid' },
  { x: [5, 4, 4, 1], k: [3, 3], co: 64, strides: 1, pad: 'same' },
  { x: [2, 7, 8, 3], k: [3, 2], co: 4, strides: 3, pad: 'valid' },
  { x: [2, 6, 6, 4], k: [3, 3], co: 4, strides: 1, pad: 2 },
];

export const convName = (c: ConvCase) =>
  `x [${c.x}] k ${c.k.join('x')} → ${c.co}, strides ${JSON.stringify(c.strides)}, pad ${JSON.stringify(c.pad)}${c.round ? ` ${c.round}` : ''}`;

/** The filter `[KH, KW, Ci, Co]`. */
export function convFilterShape(c: ConvCase): [number, number, number, number] {
  return [c.k[0], c.k[1], c.x[3], c.co];
}

export function convInfo(c: ConvCase): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(c.x, convFilterShape(c), c.strides, 1, c.pad, c.round);
}
