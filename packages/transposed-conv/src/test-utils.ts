/**
 * Test helpers (not exported by the package): the PyTorch fixtures in `../fixtures/` and naive references.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

/** `Math.fround(Math.sin(i·0.7 + seed)·scale)`: the inputs `fixtures/make_fixtures.py` fed to PyTorch. */
export function wave(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.7 + seed) * scale;
  return out;
}

export function fromBase64(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export interface FixtureCase {
  name: string;
  batch: number;
  inChannels: number;
  outChannels: number;
  inputSize: [number, number];
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
  groups: number;
  bias: boolean;
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  weightTorch: number[];
  yShape: [number, number, number, number];
  y: string;
  dx: string;
  dFilter: string;
  dBias?: string;
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export const convFixtures = () =>
  readFixture<{ torch: string; cases: FixtureCase[]; fcn: FixtureCase }>('conv_transpose2d.json');

/** The case's inputs as tensors (x, filter in our layout, bias or null, dy). */
export function caseInputs(c: FixtureCase) {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return {
    x: tf.tensor4d(wave(size(c.xShape), 0.1), c.xShape),
    filter: tf.tensor4d(wave(size(c.filterShape), 0.2, 0.5), c.filterShape),
    bias: c.bias ? tf.tensor1d(wave(c.outChannels, 0.3)) : null,
    dy: tf.tensor4d(wave(size(c.yShape), 0.4), c.yShape),
  };
}

/**
 * `|a − e| ≤ 1e-4·|e| + max(1e-4·max|e|, 1e-6)`: 1e-4 relative to each value and to the tensor's scale,
 * with a 1e-6 floor for tensors that are all small because their sums cancel (the float32 rounding of
 * sums of O(1) terms is about 1e-7 whatever the result).
 */
export function scaleTolerance(expected: tf.Tensor | Float32Array): { rtol: number; atol: number } {
  let m = 0;
  for (const v of expected instanceof tf.Tensor ? expected.dataSync() : expected)
    m = Math.max(m, Math.abs(v));
  return { rtol: 1e-4, atol: Math.max(1e-4 * m, 1e-6) };
}

/**
 * A naive transposed convolution in plain JavaScript (float64 loops), straight from PyTorch's definition:
 * `y[b, i·s − p + a·d, j·s − p + c·d, g·cog + o] += x[b, i, j, ci]·filter[a, c, o, ci]`.
 */
export function naiveConvTranspose2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  o: {
    stride: [number, number];
    padding: [number, number];
    outputPadding: [number, number];
    dilation: [number, number];
    groups: number;
  },
): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const [KH, KW, COG, CI] = filter.shape;
  const G = o.groups;
  const cig = CI / G;
  const CO = COG * G;
  const HO = (H - 1) * o.stride[0] - 2 * o.padding[0] + o.dilation[0] * (KH - 1) + o.outputPadding[0] + 1;
  const WO = (W - 1) * o.stride[1] - 2 * o.padding[1] + o.dilation[1] * (KW - 1) + o.outputPadding[1] + 1;
  const xv = x.dataSync();
  const fv = filter.dataSync();
  const bv = bias?.dataSync();
  const y = new Float64Array(B * HO * WO * CO);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let ci = 0; ci < C; ci++) {
          const v = xv[((b * H + i) * W + j) * C + ci]!;
          const g = Math.floor(ci / cig);
          for (let a = 0; a < KH; a++) {
            const oh = i * o.stride[0] - o.padding[0] + a * o.dilation[0];
            if (oh < 0 || oh >= HO) continue;
            for (let c = 0; c < KW; c++) {
              const ow = j * o.stride[1] - o.padding[1] + c * o.dilation[1];
              if (ow < 0 || ow >= WO) continue;
              for (let oc = 0; oc < COG; oc++) {
                y[((b * HO + oh) * WO + ow) * CO + g * COG + oc]! +=
                  v * fv[((a * KW + c) * COG + oc) * CI + ci]!;
              }
            }
          }
        }
  if (bv) for (let k = 0; k < y.length; k++) y[k]! += bv[k % CO]!;
  return tf.tensor4d(Float32Array.from(y), [B, HO, WO, CO]);
}
