import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
// Registers the backend's kernels now, so that BUILT_IN below is its own MaxPoolGrad.
import '@tensorflow/tfjs-backend-wasm';
import { expectClose } from '../testing/index.js';
import { maxPoolGradWasm } from './max-pool-grad.js';
import {
  attrs,
  dyadic,
  expectFreesIntermediates,
  flat,
  type HostTensor,
  host,
  type Pad,
  runOn,
  toTensor,
} from './parity-helpers.js';

interface Case {
  x: [number, number, number, number];
  k: number | [number, number];
  strides: number | [number, number];
  pad: Pad;
  round?: 'floor' | 'round' | 'ceil';
}

const CASES: Case[] = [
  { x: [2, 6, 7, 3], k: 2, strides: 2, pad: 'valid' },
  { x: [2, 7, 6, 3], k: 3, strides: 2, pad: 'same' },
  { x: [3, 8, 8, 4], k: 3, strides: 1, pad: 'same' },
  { x: [1, 9, 10, 2], k: 5, strides: 2, pad: 'valid' },
  { x: [2, 5, 5, 5], k: 1, strides: 1, pad: 'valid' },
  { x: [2, 6, 6, 3], k: 1, strides: 2, pad: 'valid' },
  { x: [2, 9, 9, 2], k: 2, strides: 3, pad: 'valid' },
  { x: [2, 8, 8, 3], k: 3, strides: 2, pad: 1, round: 'ceil' },
  { x: [2, 9, 8, 3], k: 4, strides: 2, pad: 1, round: 'floor' },
  { x: [2, 8, 9, 3], k: 2, strides: 3, pad: 1, round: 'round' },
  { x: [1, 7, 8, 2], k: [4, 2], strides: [2, 1], pad: 'same' },
  {
    x: [2, 7, 6, 3],
    k: 3,
    strides: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  {
    x: [1, 3, 3, 2],
    k: 3,
    strides: 1,
    pad: [
      [0, 0],
      [3, 3],
      [0, 4],
      [0, 0],
    ],
  },
  { x: [2, 11, 11, 4], k: 5, strides: 5, pad: 'same' },
  { x: [2, 10, 10, 3], k: 4, strides: 3, pad: 'valid' },
  { x: [1, 12, 12, 2], k: 5, strides: 1, pad: 'valid' },
  { x: [4, 8, 8, 16], k: 2, strides: 2, pad: 'same' },
  { x: [2, 8, 8, 8], k: [2, 3], strides: [2, 2], pad: 'same' },
  { x: [2, 8, 8, 4], k: 3, strides: 2, pad: 'same' },
  { x: [2, 8, 8, 3], k: 3, strides: 2, pad: 1, round: 'floor' },
  { x: [2, 6, 7, 3], k: 2, strides: 1, pad: 'valid' },
  { x: [2, 7, 9, 2], k: [3, 1], strides: [2, 1], pad: 'same' },
  { x: [2, 7, 9, 2], k: [1, 3], strides: [1, 2], pad: 'valid' },
  { x: [1, 9, 9, 3], k: [3, 2], strides: [2, 3], pad: 'same' },
  // Windows in the padding only, input rows that no window covers.
  {
    x: [1, 1, 3, 2],
    k: 2,
    strides: 2,
    pad: [
      [0, 0],
      [4, 0],
      [0, 1],
      [0, 0],
    ],
  },
  {
    x: [1, 2, 3, 2],
    k: 3,
    strides: 2,
    pad: [
      [0, 0],
      [5, 0],
      [0, 4],
      [0, 0],
    ],
  },
];

const name = (c: Case) =>
  `x [${c.x}] k ${JSON.stringify(c.k)}, strides ${JSON.stringify(c.strides)}, pad ${JSON.stringify(c.pad)}${c.round ? ` ${c.round}` : ''}`;

/**
 * Inputs with many ties, zero windows and all-negative windows: multiples of 1/2 in [−2, 2], and in every other
 * batch item ReLU'd (so most windows are all zeros or share their maximum).
 */
function tiedInput(shape: number[], seed: number): HostTensor {
  const raw = dyadic(
    shape.reduce((a, d) => a * d, 1),
    seed,
  );
  const per = raw.length / shape[0]!;
  return {
    shape,
    values: raw.map((v, i) => {
      const q = Math.round(v * 2) / 2;
      return Math.floor(i / per) % 2 === 1 ? Math.max(q, 0) : q;
    }),
  };
}

function outShape(c: Case) {
  return tf.backend_util.computePool2DInfo(c.x, c.k, c.strides, 1, c.pad, c.round).outShape;
}

function grad(c: Case, x: HostTensor, dy: HostTensor) {
  return () => {
    const xt = toTensor(x);
    const a = attrs({ filterSize: c.k, strides: c.strides, pad: c.pad, dimRoundingMode: c.round });
    const output = tf.engine().runKernel('MaxPool', { x: xt }, a) as tf.Tensor;
    return tf.engine().runKernel('MaxPoolGrad', { dy: toTensor(dy), input: xt, output }, a) as tf.Tensor;
  };
}

async function parity(what: string, run: () => tf.Tensor) {
  const cpu = await runOn('cpu', run);
  await initBackend('wasm', { log: false });
  expect(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc).toBe(maxPoolGradWasm);
  const wasm = await runOn('wasm', run);
  expect(wasm.shape).toEqual(cpu.shape);
  // Each dx element is a sum of a few dyadic dy values: exact in float32 whatever the order.
  expectClose(flat(wasm), flat(cpu), { rtol: 0, atol: 0, what });
}

// tfjs-backend-wasm 4.22's own kernel, captured before initBackend('wasm') replaces it: the reason for the fix.
const BUILT_IN = tf.getKernel('MaxPoolGrad', 'wasm')!;

describe('tfjs-backend-wasm 4.22 MaxPoolGrad (the bug)', () => {
  it('differs from the CPU backend on zero windows and ties; the replacement does not', async () => {
    const c: Case = { x: [1, 4, 4, 1], k: 2, strides: 2, pad: 'valid' };
    const x = { shape: c.x, values: new Float32Array([0, 0, 0, 0, -1, -2, -3, -1, 5, 2, 5, 5, 1, 1, 1, 1]) };
    const dy = { shape: [1, 2, 2, 1], values: new Float32Array([1, 2, 3, 4]) };
    const cpu = await runOn('cpu', grad(c, x, dy));
    // The CPU backend: the first maximum of each window, in row-major order.
    expect(Array.from(cpu.values)).toEqual([1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0]);
    await initBackend('wasm', { log: false });
    expect(tf.getKernel('MaxPoolGrad', 'wasm')!.kernelFunc).not.toBe(BUILT_IN.kernelFunc);
    // Its setup (binding the WASM function) never ran: the fix replaced it before the backend started.
    BUILT_IN.setupFunc!(tf.backend());
    const builtIn = tf.tidy(() => {
      const xt = toTensor(x);
      const output = tf.maxPool(xt as tf.Tensor4D, 2, 2, 'valid');
      const info = BUILT_IN.kernelFunc({
        inputs: { dy: toTensor(dy), input: xt, output },
        backend: tf.backend(),
        attrs: { filterSize: 2, strides: 2, pad: 'valid' },
      }) as tf.TensorInfo;
      return Array.from(tf.engine().makeTensorFromTensorInfo(info).dataSync());
    });
    // The window [0 0; -3 -1] loses its gradient, the tie [5 5; 1 1] sends it to the last 5.
    expect(builtIn).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 4, 0, 0, 0, 0]);
    const wasm = await runOn('wasm', grad(c, x, dy));
    expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
  });
});

// One file, one process (vitest forks): initBackend('wasm') installs the fix, as it does for users.
describe('maxPoolGradWasm (replacement of the WASM backend’s MaxPoolGrad)', () => {
  it.each(CASES.map((c, i) => [name(c), c, i] as const))('equals the CPU backend: %s', async (_, c, i) => {
    await parity(name(c), grad(c, tiedInput(c.x, 700 + i), host(outShape(c), 800 + i)));
  });

  it('equals the CPU backend on all-zero, all-negative, tied, ±Infinity and all-padding windows', async () => {
    const N = -Infinity;
    const P = Infinity;
    const M = 3.4028234663852886e38;
    // 6x6, 2x2 windows, stride 2: [0 0; 0 0], [-1 -2; -3 -1], [-3 -3; -3 -3], [N N; N N], [N -5; N N],
    // [P 1; P 0], [-M N; -M N], [2 P; M P], [0 -0; 0 0]
    // 3x3 windows of the same input with 'same' padding: windows partly in padding.
    const values = [
      [0, 0, -1, -2, -3, -3],
      [0, 0, -3, -1, -3, -3],
      [N, N, N, -5, P, 1],
      [N, N, N, N, P, 0],
      [-M, N, 2, P, 0, -0],
      [-M, N, M, P, 0, 0],
    ].flat();
    const x = { shape: [1, 6, 6, 1], values: new Float32Array(values) };
    for (const c of [
      { x: [1, 6, 6, 1], k: 2, strides: 2, pad: 'valid' },
      { x: [1, 6, 6, 1], k: 3, strides: 2, pad: 'same' },
      { x: [1, 6, 6, 1], k: 3, strides: 1, pad: 1 },
    ] as Case[]) {
      await parity(`special values, ${name(c)}`, grad(c, x, host(outShape(c), 5)));
    }
  });

  it('gives tf.maxPool on wasm the CPU backend’s gradient (tf.grad)', async () => {
    const x = tiedInput([2, 8, 8, 3], 11);
    for (const [k, s, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
    ] as const) {
      const dy = host(outShape({ x: [2, 8, 8, 3], k, strides: s, pad }), 12);
      const run = () => {
        const f = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, k, s, pad);
        return tf.grad(f)(toTensor(x), toTensor(dy) as tf.Tensor4D);
      };
      const cpu = await runOn('cpu', run);
      const wasm = await runOn('wasm', run);
      expectClose(flat(wasm), flat(cpu), {
        rtol: 0,
        atol: 0,
        what: `tf.grad(maxPool ${k}x${k} s${s} ${pad})`,
      });
    }
  });

  it('checks its inputs', async () => {
    await initBackend('wasm', { log: false });
    const x = tf.zeros([1, 4, 4, 1]);
    const dy = tf.zeros([1, 3, 3, 1]);
    expect(() =>
      tf
        .engine()
        .runKernel('MaxPoolGrad', { dy, input: x, output: dy }, { filterSize: 2, strides: 2, pad: 'valid' }),
    ).toThrow(/MaxPoolGrad \(wasm\): dy has shape \[1,3,3,1\], expected \[1,2,2,1\]/);
    tf.dispose([x, dy]);
  });

  it('leaks no tensor and frees every intermediate', async () => {
    await initBackend('wasm', { log: false });
    for (const c of CASES) {
      const x = toTensor(tiedInput(c.x, 1));
      const dy = toTensor(host(outShape(c), 2));
      const a = attrs({ filterSize: c.k, strides: c.strides, pad: c.pad, dimRoundingMode: c.round });
      const dx = await expectFreesIntermediates(
        () => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: dy }, a) as tf.Tensor,
        name(c),
      );
      expect(dx.shape).toEqual(c.x);
      tf.dispose([x, dy, dx]);
    }
  });
});
