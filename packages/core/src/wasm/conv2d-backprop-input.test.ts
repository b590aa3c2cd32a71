import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/index.js';
import { CONV_CASES, type ConvCase, convFilterShape, convInfo, convName as name } from './conv-cases.js';
import { useFastWasmConv2DBackpropInput } from './conv2d-backprop-input.js';
import { attrs, expectFreesIntermediates, flat, host, runOn, toTensor } from './parity-helpers.js';

function inputGrad(c: ConvCase, dy: tf.Tensor, filter: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(
    'Conv2DBackpropInput',
    { dy, filter },
    attrs({
      strides: c.strides,
      pad: c.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: c.round,
      inputShape: c.x,
    }),
  ) as tf.Tensor;
}

function dX(c: ConvCase, seed: number) {
  const dy = host(convInfo(c).outShape, seed);
  const w = host(convFilterShape(c), seed + 1);
  return () => inputGrad(c, toTensor(dy), toTensor(w));
}

// One file, one process (vitest forks): swapping the kernel here does not touch the other suites.
describe('conv2dBackpropInputWasm (opt-in replacement of the WASM backend’s Conv2DBackpropInput)', () => {
  it.each(CONV_CASES.map((c, i) => [name(c), c, i] as const))(
    'equals the CPU backend: %s',
    async (_, c, i) => {
      const cpu = await runOn('cpu', dX(c, 500 + i));
      await initBackend('wasm', { log: false });
      expect(useFastWasmConv2DBackpropInput()).toBe(true);
      const wasm = await runOn('wasm', dX(c, 500 + i));
      expect(wasm.shape).toEqual(c.x);
      // atol 0: dyadic inputs (parity-helpers), the sums are exact.
      expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0, what: name(c) });
    },
  );

  it('leaks no tensor and frees every intermediate', async () => {
    await initBackend('wasm', { log: false });
    useFastWasmConv2DBackpropInput();
    for (const c of CONV_CASES) {
      const dy = toTensor(host(convInfo(c).outShape, 1));
      const w = toTensor(host(convFilterShape(c), 2));
      const y = await expectFreesIntermediates(() => inputGrad(c, dy, w), name(c));
      tf.dispose([dy, w, y]);
    }
  });
});
