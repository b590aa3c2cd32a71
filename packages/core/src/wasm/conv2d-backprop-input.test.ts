import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { useFastWasmConv2DBackpropInput } from './conv2d-backprop-input.js';
import { attrs, flat, host, runOn, toTensor } from './parity-helpers.js';

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
  { x: [2, 8, 8, 5], k: [3, 3], co: 6, strides: 2, pad: 1, round: 'ceil' },
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
  { x: [2, 7, 8, 3], k: [3, 2], co: 4, strides: 3, pad: 'valid' },
];

const name = (c: Case) =>
  `x [${c.x}] k ${c.k.join('x')} → ${c.co}, strides ${JSON.stringify(c.strides)}, pad ${JSON.stringify(c.pad)}${c.round ? ` ${c.round}` : ''}`;

function dX(c: Case, seed: number) {
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    [c.k[0], c.k[1], c.x[3], c.co],
    c.strides,
    1,
    c.pad,
    c.round,
  );
  const dy = host(info.outShape, seed);
  const w = host([c.k[0], c.k[1], c.x[3], c.co], seed + 1);
  return () =>
    tf.engine().runKernel(
      'Conv2DBackpropInput',
      { dy: toTensor(dy), filter: toTensor(w) },
      attrs({
        strides: c.strides,
        pad: c.pad,
        dataFormat: 'NHWC',
        dimRoundingMode: c.round,
        inputShape: c.x,
      }),
    ) as tf.Tensor;
}

// One file, one process (vitest forks): swapping the kernel here does not touch the other suites.
describe('conv2dBackpropInputWasm (opt-in replacement of the WASM backend’s Conv2DBackpropInput)', () => {
  it.each(CASES.map((c, i) => [name(c), c, i] as const))('equals the CPU backend: %s', async (_, c, i) => {
    const cpu = await runOn('cpu', dX(c, 500 + i));
    await initBackend('wasm', { log: false });
    expect(useFastWasmConv2DBackpropInput()).toBe(true);
    const wasm = await runOn('wasm', dX(c, 500 + i));
    expect(wasm.shape).toEqual(c.x);
    // atol 0: dyadic inputs (parity-helpers), the sums are exact.
    expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0, what: name(c) });
  });

  it('leaks no tensor and frees every intermediate', async () => {
    await initBackend('wasm', { log: false });
    useFastWasmConv2DBackpropInput();
    for (const c of CASES) {
      const info = tf.backend_util.computeConv2DInfo(
        c.x,
        [c.k[0], c.k[1], c.x[3], c.co],
        c.strides,
        1,
        c.pad,
        c.round,
      );
      const dy = toTensor(host(info.outShape, 1));
      const w = toTensor(host([c.k[0], c.k[1], c.x[3], c.co], 2));
      const buffers = tf.backend().numDataIds();
      const y = await expectNoLeaks(
        () =>
          tf.engine().runKernel(
            'Conv2DBackpropInput',
            { dy, filter: w },
            attrs({
              strides: c.strides,
              pad: c.pad,
              dataFormat: 'NHWC',
              dimRoundingMode: c.round,
              inputShape: c.x,
            }),
          ) as tf.Tensor,
        { what: name(c) },
      );
      expect(tf.backend().numDataIds(), name(c)).toBe(buffers + 1);
      tf.dispose([dy, w, y]);
    }
  });
});
