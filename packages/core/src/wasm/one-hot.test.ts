import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
// Registers the backend's kernels now, so that BUILT_IN below is its own OneHot.
import '@tensorflow/tfjs-backend-wasm';
import { expectFreesIntermediates, onBoth, runOn } from './parity-helpers.js';

// tfjs-backend-wasm 4.22's own kernel, captured before initBackend('wasm') replaces it: the reason for the fix.
const BUILT_IN = tf.getKernel('OneHot', 'wasm')!;

const INDICES = [0, 2, -1, 3, 1, 2];

interface Case {
  dtype: 'float32' | 'int32' | 'bool';
  on: number;
  off: number;
}

const CASES: Case[] = [
  { dtype: 'float32', on: 1, off: 0 },
  { dtype: 'float32', on: 5, off: -3 },
  { dtype: 'float32', on: 0.9, off: 0.1 / 3 },
  { dtype: 'float32', on: -2.5, off: 1e10 },
  { dtype: 'float32', on: 2147483647, off: -2147483648 },
  { dtype: 'int32', on: 1, off: 0 },
  { dtype: 'int32', on: 7, off: -2 },
  { dtype: 'bool', on: 1, off: 0 },
];

const oneHot = (c: Case) => () =>
  tf.oneHot(tf.tensor2d(INDICES, [2, 3], 'int32'), 3, c.on, c.off, c.dtype) as tf.Tensor;

describe('tfjs-backend-wasm 4.22 OneHot (the bug)', () => {
  it('writes integer bits into float32 one-hots; the replacement does not', async () => {
    await initBackend('wasm', { log: false });
    expect(tf.getKernel('OneHot', 'wasm')!.kernelFunc).not.toBe(BUILT_IN.kernelFunc);
    const builtIn = tf.tidy(() => {
      const info = BUILT_IN.kernelFunc({
        inputs: { indices: tf.tensor1d([0, 2], 'int32') },
        backend: tf.backend(),
        attrs: { depth: 3, onValue: 1, offValue: 0, dtype: 'float32' },
      }) as tf.TensorInfo;
      return Array.from(tf.engine().makeTensorFromTensorInfo(info).dataSync());
    });
    // The bits of int 1 read as a float: 2^-149.
    expect(builtIn).toEqual([2 ** -149, 0, 0, 0, 0, 2 ** -149]);
    const fixed = await runOn('wasm', () => tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3, 1, 0, 'float32'));
    expect(Array.from(fixed.values)).toEqual([1, 0, 0, 0, 0, 1]);
  });
});

describe('oneHotWasm (replacement of the WASM backend’s OneHot)', () => {
  it.each(CASES.map((c) => [`${c.dtype} on ${c.on} off ${c.off}`, c] as const))(
    'equals the CPU backend: %s',
    async (_, c) => {
      const { cpu, wasm } = await onBoth(oneHot(c));
      const out = tf.tidy(() => oneHot(c)());
      expect(out.dtype).toBe(c.dtype);
      out.dispose();
      expect(wasm.shape).toEqual([2, 3, 3]);
      expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
    },
  );

  it('keeps the default int32 one-hot of tf.oneHot', async () => {
    const { cpu, wasm } = await onBoth(() => tf.oneHot(tf.tensor1d([1, 0, 2], 'int32'), 4));
    expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
    expect(Array.from(wasm.values)).toEqual([0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]);
  });

  it('feeds a float32 loss as on the CPU backend', async () => {
    const run = () =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(tf.tensor1d([2, 0, 1], 'int32'), 3, 1, 0, 'float32'),
        tf.tensor2d([0.5, -1, 2, 1, 0, 0.25, -0.5, 3, 1], [3, 3]),
      );
    const { cpu, wasm } = await onBoth(run);
    expect(wasm.values[0]).toBeCloseTo(cpu.values[0]!, 6);
  });

  it('rejects other dtypes, naming the kernel and the dtype', async () => {
    await initBackend('wasm', { log: false });
    const indices = tf.tensor1d([0, 1], 'int32');
    expect(() =>
      tf.engine().runKernel('OneHot', { indices }, { depth: 2, onValue: 1, offValue: 0, dtype: 'string' }),
    ).toThrow(/OneHot \(wasm, @cv\/core\): dtype must be 'int32', 'float32' or 'bool', got 'string'/);
    indices.dispose();
  });

  it('leaks no tensor and frees every intermediate', async () => {
    await initBackend('wasm', { log: false });
    const indices = tf.tensor2d(INDICES, [2, 3], 'int32');
    for (const c of CASES) {
      const what = `${c.dtype} on ${c.on} off ${c.off}`;
      const y = await expectFreesIntermediates(
        () =>
          tf
            .engine()
            .runKernel(
              'OneHot',
              { indices },
              { depth: 3, onValue: c.on, offValue: c.off, dtype: c.dtype },
            ) as tf.Tensor,
        what,
      );
      y.dispose();
    }
    indices.dispose();
  });
});
