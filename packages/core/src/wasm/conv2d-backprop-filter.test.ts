import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/index.js';
import { CONV_CASES, type ConvCase, convFilterShape, convInfo, convName as name } from './conv-cases.js';
import { filterGradient, filterGradientByConv } from './conv2d-backprop-filter.js';
import { WasmOps } from './kernel-utils.js';
import { attrs, expectFreesIntermediates, flat, host, onBoth, runOn, toTensor } from './parity-helpers.js';

function filterGrad(c: ConvCase, x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(
    'Conv2DBackpropFilter',
    { x, dy },
    attrs({
      strides: c.strides,
      pad: c.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: c.round,
      filterShape: convFilterShape(c),
    }),
  ) as tf.Tensor;
}

function dW(c: ConvCase, seed: number) {
  const x = host(c.x, seed);
  const dy = host(convInfo(c).outShape, seed + 1);
  return () => filterGrad(c, toTensor(x), toTensor(dy));
}

describe('Conv2DBackpropFilter on wasm', () => {
  it.each(CONV_CASES.map((c, i) => [name(c), c, i] as const))(
    'equals the CPU backend: %s',
    async (_, c, i) => {
      const { cpu, wasm } = await onBoth(dW(c, 100 + i));
      expect(wasm.shape).toEqual(convFilterShape(c));
      // atol 0: the inputs are dyadic (parity-helpers), so both backends compute these sums exactly.
      expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0, what: name(c) });
    },
  );

  // The kernel picks one form by stride; both must be right for every geometry.
  it.each(CONV_CASES.map((c, i) => [name(c), c, i] as const))(
    'both forms (GEMM, convolution) equal the CPU backend: %s',
    async (_, c, i) => {
      const cpu = await runOn('cpu', dW(c, 600 + i));
      const info = convInfo(c);
      const x = host(c.x, 600 + i);
      const dy = host(info.outShape, 601 + i);
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
    for (const c of CONV_CASES) {
      const x = toTensor(host(c.x, 1));
      const dy = toTensor(host(convInfo(c).outShape, 2));
      const y = await expectFreesIntermediates(() => filterGrad(c, x, dy), name(c));
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
