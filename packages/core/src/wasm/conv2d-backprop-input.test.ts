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

describe('conv2dBackpropInputWasm: the cached flipped filter', () => {
  it('follows a Variable through assign and frees the copy once its filter is disposed', async () => {
    const c = CONV_CASES[0]!;
    const dy = host(convInfo(c).outShape, 7);
    const w1 = host(convFilterShape(c), 8);
    const w2 = host(convFilterShape(c), 9);
    const cpu1 = await runOn('cpu', () => inputGrad(c, toTensor(dy), toTensor(w1)));
    const cpu2 = await runOn('cpu', () => inputGrad(c, toTensor(dy), toTensor(w2)));
    await initBackend('wasm', { log: false });
    useFastWasmConv2DBackpropInput();
    const dyT = toTensor(dy);
    const init1 = toTensor(w1);
    const init2 = toTensor(w2);
    const v = tf.variable(init1);
    tf.dispose(inputGrad(c, dyT, v)); // frees the copies other tests left, caches v's
    const buffers = tf.backend().numDataIds();
    const a = inputGrad(c, dyT, v);
    const again = inputGrad(c, dyT, v); // served from the cache: no new copy
    expectClose(Array.from(a.dataSync()), flat(cpu1), { rtol: 1e-5, atol: 0, what: 'first filter' });
    expectClose(Array.from(again.dataSync()), flat(cpu1), {
      rtol: 1e-5,
      atol: 0,
      what: 'first filter, cached',
    });
    expect(tf.backend().numDataIds()).toBe(buffers + 2); // a and again
    v.assign(init2);
    const b = inputGrad(c, dyT, v);
    expectClose(Array.from(b.dataSync()), flat(cpu2), { rtol: 1e-5, atol: 0, what: 'after assign' });
    tf.dispose([v, init1, init2, a, again, b]);
    const other = toTensor(w1);
    tf.dispose(inputGrad(c, dyT, other)); // sweeps the copies of disposed filters, caches this one
    other.dispose();
    const last = toTensor(w2);
    tf.dispose(inputGrad(c, dyT, last)); // sweeps `other`'s copy
    last.dispose();
    // Counted in `buffers`: dy, both filters and v's copy; now dy and the copy of `last` (cached until the next call).
    expect(tf.backend().numDataIds()).toBe(buffers - 2);
    dyT.dispose();
  });
});
