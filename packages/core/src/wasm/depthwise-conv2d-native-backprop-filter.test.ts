import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/index.js';
import { DW_CASES, type DwCase, dwInfo, dwName, naiveDepthwiseGrads } from './depthwise-cases.js';
import { attrs, expectFreesIntermediates, flat, host, onBoth, runOn, toTensor } from './parity-helpers.js';

function filterGrad(c: DwCase, x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(
    'DepthwiseConv2dNativeBackpropFilter',
    { x, dy },
    attrs({
      strides: c.strides,
      pad: c.pad,
      dilations: c.dilations ?? 1,
      dimRoundingMode: c.round,
      filterShape: [c.k[0], c.k[1], c.x[3], c.m],
    }),
  ) as tf.Tensor;
}

function dW(c: DwCase, seed: number) {
  const info = dwInfo(c);
  const x = host(c.x, seed);
  const dy = host(info.outShape, seed + 1);
  return {
    x,
    dy,
    run: () => filterGrad(c, toTensor(x), toTensor(dy)),
  };
}

describe('DepthwiseConv2dNativeBackpropFilter on wasm', () => {
  it.each(DW_CASES.filter((c) => !c.dilations).map((c, i) => [dwName(c), c, i] as const))(
    'equals the CPU backend: %s',
    async (_, c, i) => {
      const { cpu, wasm } = await onBoth(dW(c, 200 + i).run);
      expect(wasm.shape).toEqual([c.k[0], c.k[1], c.x[3], c.m]);
      // atol 0: dyadic inputs (parity-helpers), the sums are exact on both backends.
      expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0, what: dwName(c) });
    },
  );

  // The CPU backend ignores dilations in this kernel, so dilated cases are checked against a naive loop.
  it.each(DW_CASES.filter((c) => c.dilations).map((c, i) => [dwName(c), c, i] as const))(
    'equals a naive reference: %s',
    async (_, c, i) => {
      const { x, dy, run } = dW(c, 300 + i);
      const wasm = await runOn('wasm', run);
      const ref = naiveDepthwiseGrads(
        c,
        x.values as Float32Array,
        dy.values as Float32Array,
        new Float32Array(c.k[0] * c.k[1] * c.x[3] * c.m),
      );
      expectClose(flat(wasm), Array.from(ref.dW), { rtol: 1e-5, atol: 0, what: dwName(c) });
    },
  );

  it('is the filter gradient of tf.depthwiseConv2d (tf.grad on cpu and wasm)', async () => {
    const x = host([2, 7, 7, 3], 17);
    const f = host([3, 3, 3, 2], 18);
    const grad = () =>
      tf.grad((w: tf.Tensor) =>
        tf.depthwiseConv2d(toTensor(x) as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').sum(),
      )(toTensor(f));
    const { cpu, wasm } = await onBoth(grad);
    expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0 });
  });

  it('leaks no tensor and frees every intermediate', async () => {
    await initBackend('wasm', { log: false });
    for (const c of DW_CASES) {
      const x = toTensor(host(c.x, 1));
      const dy = toTensor(host(dwInfo(c).outShape, 2));
      const y = await expectFreesIntermediates(() => filterGrad(c, x, dy), dwName(c));
      tf.dispose([x, dy, y]);
    }
  });
});
