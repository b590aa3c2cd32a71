import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/index.js';
import { DW_CASES, type DwCase, dwInfo, dwName, naiveDepthwiseGrads } from './depthwise-cases.js';
import { attrs, expectFreesIntermediates, flat, host, onBoth, runOn, toTensor } from './parity-helpers.js';

function inputGrad(c: DwCase, dy: tf.Tensor, filter: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(
    'DepthwiseConv2dNativeBackpropInput',
    { dy, filter },
    attrs({
      strides: c.strides,
      pad: c.pad,
      dilations: c.dilations ?? 1,
      dimRoundingMode: c.round,
      inputShape: c.x,
    }),
  ) as tf.Tensor;
}

function dX(c: DwCase, seed: number) {
  const info = dwInfo(c);
  const dy = host(info.outShape, seed);
  const w = host([c.k[0], c.k[1], c.x[3], c.m], seed + 1);
  return {
    dy,
    w,
    run: () => inputGrad(c, toTensor(dy), toTensor(w)),
  };
}

describe('DepthwiseConv2dNativeBackpropInput on wasm', () => {
  it.each(DW_CASES.map((c, i) => [dwName(c), c, i] as const))(
    'equals the CPU backend and a naive reference: %s',
    async (_, c, i) => {
      const { dy, w, run } = dX(c, 400 + i);
      const wasm = await runOn('wasm', run);
      expect(wasm.shape).toEqual(c.x);
      // atol 0: dyadic inputs (parity-helpers), the sums are exact.
      const ref = naiveDepthwiseGrads(
        c,
        new Float32Array(c.x.reduce((a, d) => a * d, 1)),
        dy.values as Float32Array,
        w.values as Float32Array,
      );
      expectClose(flat(wasm), Array.from(ref.dx), { rtol: 1e-5, atol: 0, what: `${dwName(c)} (naive)` });
      if (!c.dilations) {
        const cpu = await runOn('cpu', run);
        expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0, what: `${dwName(c)} (cpu)` });
      }
    },
  );

  it('is the input gradient of tf.depthwiseConv2d (tf.grad on cpu and wasm)', async () => {
    const x = host([2, 7, 7, 3], 27);
    const f = host([3, 3, 3, 2], 28);
    const grad = () =>
      tf.grad((v: tf.Tensor) =>
        tf.depthwiseConv2d(v as tf.Tensor4D, toTensor(f) as tf.Tensor4D, 2, 'same').sum(),
      )(toTensor(x));
    const { cpu, wasm } = await onBoth(grad);
    expectClose(flat(wasm), flat(cpu), { rtol: 1e-5, atol: 0 });
  });

  it('leaks no tensor and frees every intermediate', async () => {
    await initBackend('wasm', { log: false });
    for (const c of DW_CASES) {
      const dy = toTensor(host(dwInfo(c).outShape, 1));
      const w = toTensor(host([c.k[0], c.k[1], c.x[3], c.m], 2));
      const y = await expectFreesIntermediates(() => inputGrad(c, dy, w), dwName(c));
      tf.dispose([dy, w, y]);
    }
  });
});
