import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useWasmKernelFixes, WASM_KERNEL_FIXES } from './kernel-fixes.js';
import { maxPoolGradWasm } from './max-pool-grad.js';

describe('useWasmKernelFixes', () => {
  it('is installed by initBackend("wasm") even with wasmFastKernels: false, and reported', async () => {
    const info = await initBackend('wasm', { log: false, wasmFastKernels: false });
    expect(info.details.replacedKernels).toBe('');
    expect(info.details.fixedKernels).toBe('MaxPoolGrad, OneHot');
    expect(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc).toBe(maxPoolGradWasm);
  });

  it('replaces each kernel once (idempotent) and returns the names', async () => {
    await initBackend('wasm', { log: false });
    expect([...WASM_KERNEL_FIXES]).toEqual(['MaxPoolGrad', 'OneHot']);
    const before = WASM_KERNEL_FIXES.map((k) => tf.getKernel(k, 'wasm'));
    expect(useWasmKernelFixes()).toEqual(['MaxPoolGrad', 'OneHot']);
    expect(useWasmKernelFixes()).toEqual(['MaxPoolGrad', 'OneHot']);
    const after = WASM_KERNEL_FIXES.map((k) => tf.getKernel(k, 'wasm'));
    expect(after.map((k) => k?.kernelFunc)).toEqual(before.map((k) => k?.kernelFunc));
    // OneHot keeps the original kernel's setup (it binds the WASM function the wrapper calls).
    expect(after[1]?.setupFunc).toBeTypeOf('function');
    // Still correct after the repeated calls.
    const y = tf.oneHot(tf.tensor1d([1], 'int32'), 2, 1, 0, 'float32');
    expect(Array.from(y.dataSync())).toEqual([0, 1]);
    y.dispose();
  });
});
