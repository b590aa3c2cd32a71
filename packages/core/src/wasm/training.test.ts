import { initBackend, registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { dyadic } from './parity-helpers.js';

describe('registerWasmTrainingKernels', () => {
  it('registers the kernels tfjs-backend-wasm lacks, once', async () => {
    await initBackend('wasm', { log: false });
    expect([...WASM_TRAINING_KERNELS].sort()).toEqual(
      [
        'Conv2DBackpropFilter',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'UnsortedSegmentSum',
      ].sort(),
    );
    const first = registerWasmTrainingKernels();
    expect(first).toEqual([...WASM_TRAINING_KERNELS]);
    const kernels = WASM_TRAINING_KERNELS.map((k) => tf.getKernel(k, 'wasm')?.kernelFunc);
    expect(registerWasmTrainingKernels()).toEqual(first);
    expect(WASM_TRAINING_KERNELS.map((k) => tf.getKernel(k, 'wasm')?.kernelFunc)).toEqual(kernels);
  });
});

describe('training a small conv net on wasm', () => {
  // conv (stride 2, explicit padding) → relu → maxPool → conv ('same') → MSE; parameters and data identical
  // on both backends.
  const shapes = { w1: [3, 3, 3, 8], b1: [8], w2: [3, 3, 8, 4], x: [4, 16, 16, 3], t: [4, 4, 4, 4] };
  const init = Object.fromEntries(
    Object.entries(shapes).map(([k, s], i) => [
      k,
      dyadic(
        s.reduce((a, d) => a * d, 1),
        50 + i,
      ),
    ]),
  );

  async function grads(backend: 'cpu' | 'wasm') {
    await initBackend(backend, { log: false });
    const vars = {
      w1: tf.variable(tf.tensor(init.w1!, shapes.w1).mul(0.25), true, `w1_${backend}`),
      b1: tf.variable(tf.tensor(init.b1!, shapes.b1), true, `b1_${backend}`),
      w2: tf.variable(tf.tensor(init.w2!, shapes.w2).mul(0.25), true, `w2_${backend}`),
    };
    const x = tf.tensor4d(init.x!, shapes.x as [number, number, number, number]);
    const target = tf.tensor4d(init.t!, shapes.t as [number, number, number, number]);
    const loss = () =>
      tf.tidy(() => {
        const h = tf.add(
          tf.conv2d(x, vars.w1 as tf.Tensor4D, 2, [
            [0, 0],
            [1, 0],
            [1, 0],
            [0, 0],
          ]),
          vars.b1,
        ) as tf.Tensor4D;
        const p = tf.maxPool(tf.relu(h), 2, 2, 'valid');
        return tf.losses.meanSquaredError(
          target,
          tf.conv2d(p, vars.w2 as tf.Tensor4D, 1, 'same'),
        ) as tf.Scalar;
      });
    const { value, grads: g } = await expectNoLeaks(() => tf.variableGrads(loss), {
      what: `variableGrads on ${backend}`,
    });
    const out = {
      loss: value.dataSync()[0]!,
      grads: Object.fromEntries(
        Object.entries(g).map(([k, t]) => [k.replace(`_${backend}`, ''), Array.from(t.dataSync())]),
      ),
    };
    tf.dispose([value, ...Object.values(g), x, target, ...Object.values(vars)]);
    return out;
  }

  it('gets the same gradients from tf.variableGrads as the CPU backend', async () => {
    const cpu = await grads('cpu');
    const wasm = await grads('wasm');
    expect(Object.keys(wasm.grads).sort()).toEqual(['b1', 'w1', 'w2']);
    expectClose(wasm.loss, cpu.loss, { rtol: 1e-5, atol: 0 });
    for (const k of Object.keys(cpu.grads)) {
      const ref = cpu.grads[k]!;
      // Float32 sums in different orders (forward conv, MSE, both backprops): each gradient element sums
      // ≤ 4·8·8·4·9 ≈ 10^4 rounded terms, so errors reach ~1e-6 of the largest element. atol = 1e-6·max|g|.
      const atol = 1e-6 * Math.max(...ref.map(Math.abs));
      expectClose(wasm.grads[k]!, ref, { rtol: 1e-5, atol, what: `d loss / d ${k}` });
    }
  });
});
