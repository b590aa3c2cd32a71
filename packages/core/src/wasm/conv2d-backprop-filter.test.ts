import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { filterGradient, filterGradientByConv } from './conv2d-backprop-filter.js';
import { WasmOps } from './kernel-utils.js';
import { attrs, flat, host, onBoth, runOn, toTensor } from './parity-helpers.js';

type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  strides: number | [number, number];
  pad: Pad;
  round?: 'floor' | 'round' | 'ceil';
}

// Tiny spatial sizes, every geometry the kernel handles: strides 1–3 (and unequal), kernels 1–5 (and even,
// non-square), batch 1–8, channels 1–64, 'same' / 'valid' / explicit (asymmetric, larger than the kernel) /
// numeric padding with each dimRoundingMode, inputs whose last rows the convolution never reads.
const CASES: Case[] = [
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

const name = (c: Case) =>
  `x [${c.x}] k ${c.k.join('x')} → ${c.co}, strides ${JSON.stringify(c.strides)}, pad ${JSON.stringify(c.pad)}${c.round ? ` ${c.round}` : ''}`;

function dyShape(c: Case): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    [c.k[0], c.k[1], c.x[3], c.co],
    c.strides,
    1,
    c.pad,
    c.round,
  );
  return info.outShape;
}

function dW(c: Case, seed: number) {
  const x = host(c.x, seed);
  const dy = host(dyShape(c), seed + 1);
  return () =>
    tf.engine().runKernel(
      'Conv2DBackpropFilter',
      { x: toTensor(x), dy: toTensor(dy) },
      attrs({
        strides: c.strides,
        pad: c.pad,
        dataFormat: 'NHWC',
        dimRoundingMode: c.round,
        filterShape: [c.k[0], c.k[1], c.x[3], c.co],
      }),
    ) as tf.Tensor;
}

describe('Conv2DBackpropFilter on wasm', () => {
  it.each(CASES.map((c, i) => [name(c), c, i] as const))('equals the CPU backend: %s', async (_, c, i) => {
    const { cpu, wasm } = await onBoth(dW(c, 100 + i));
    expect(wasm.shape).toEqual([c.k[0], c.k[1], c.x[3], c.co]);
    // atol 0: the inputs are dyadic (parity-helpers), so both backends compute these sums exactly.
    expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0, what: name(c) });
  });

  // The kernel picks one form by stride; both must be right for every geometry.
  it.each(CASES.map((c, i) => [name(c), c, i] as const))(
    'both forms (GEMM, convolution) equal the CPU backend: %s',
    async (_, c, i) => {
      const cpu = await runOn('cpu', dW(c, 600 + i));
      const x = host(c.x, 600 + i);
      const dy = host(dyShape(c), 601 + i);
      const info = tf.backend_util.computeConv2DInfo(
        c.x,
        [c.k[0], c.k[1], c.x[3], c.co],
        c.strides,
        1,
        c.pad,
        c.round,
      );
      for (const form of [filterGradient, filterGradientByConv]) {
        const wasm = await runOn('wasm', () => {
          const out = form(new WasmOps(tf.backend()), toTensor(x), toTensor(dy), info);
          return tf.engine().makeTensorFromDataId(out.dataId, out.shape, out.dtype);
        });
        expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0, what: `${form.name}: ${name(c)}` });
      }
    },
  );

  it('is the filter gradient of tf.conv2d (tf.grad on cpu and wasm)', async () => {
    const x = host([2, 9, 9, 3], 7);
    const f = host([3, 3, 3, 5], 8);
    const grad = () => {
      const g = tf.grad((w: tf.Tensor) =>
        tf.conv2d(toTensor(x) as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').sum(),
      );
      return g(toTensor(f));
    };
    const { cpu, wasm } = await onBoth(grad);
    expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0 });
  });

  it('leaks no tensor and frees every intermediate', async () => {
    await initBackend('wasm', { log: false });
    for (const c of CASES) {
      const x = toTensor(host(c.x, 1));
      const dy = toTensor(host(dyShape(c), 2));
      // numDataIds: the WASM backend's own buffers, which the kernel's intermediates would leak into.
      const buffers = tf.backend().numDataIds();
      const y = await expectNoLeaks(
        () =>
          tf.engine().runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            attrs({
              strides: c.strides,
              pad: c.pad,
              dataFormat: 'NHWC',
              dimRoundingMode: c.round,
              filterShape: [c.k[0], c.k[1], c.x[3], c.co],
            }),
          ) as tf.Tensor,
        { what: name(c) },
      );
      expect(tf.backend().numDataIds(), name(c)).toBe(buffers + 1);
      tf.dispose([x, dy, y]);
    }
  });

  it('says clearly that NCHW is not supported', async () => {
    await initBackend('wasm', { log: false });
    const x = tf.zeros([1, 3, 4, 4]);
    const dy = tf.zeros([1, 2, 4, 4]);
    expect(() =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 2] },
        ),
    ).toThrow(
      /Conv2DBackpropFilter on the 'wasm' backend \(@cv\/core\) supports dataFormat 'NHWC' only, got 'NCHW'/,
    );
    tf.dispose([x, dy]);
  });
});
