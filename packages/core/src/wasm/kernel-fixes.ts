import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from './kernel-utils.js';
import { maxPoolGradWasm } from './max-pool-grad.js';
import { oneHotWasm } from './one-hot.js';

/** Marks @cv/core's corrected kernels, so that every copy of @cv/core (ESM and CJS) recognises them. */
const FIX = Symbol.for('@cv/core:wasm-kernel-fix');
const isFix = (f: tf.KernelFunc) => (f as unknown as Record<symbol, boolean>)[FIX] === true;
const mark = (f: tf.KernelFunc) => {
  (f as unknown as Record<symbol, boolean>)[FIX] = true;
  return f;
};

/**
 * The tfjs-backend-wasm 4.22 kernels that compute wrong values and that {@link useWasmKernelFixes} replaces:
 * `MaxPoolGrad` (drops or misplaces the gradient of windows whose maximum is ≤ 0, picks the last of tied
 * maxima) and `OneHot` (ignores `dtype`: float32 one-hots hold integer bits).
 */
export const WASM_KERNEL_FIXES: readonly string[] = ['MaxPoolGrad', 'OneHot'];

function replacement(name: string, current: tf.KernelConfig): tf.KernelConfig {
  if (name === 'MaxPoolGrad') {
    return {
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: mark(maxPoolGradWasm as unknown as tf.KernelFunc),
    };
  }
  const original = current.kernelFunc;
  return {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: mark(((args: KernelArgs) => oneHotWasm(original, args)) as unknown as tf.KernelFunc),
    // The original kernel binds its WASM function in its setup, which runs when the backend initialises:
    // keep it, since this may run before that.
    setupFunc: current.setupFunc,
    disposeFunc: current.disposeFunc,
  };
}

/**
 * Replaces the 'wasm' kernels listed in {@link WASM_KERNEL_FIXES} by corrected ones built from WASM kernels
 * (`maxPoolGradWasm`, `oneHotWasm`): results equal the CPU backend's. Idempotent; returns the names that are
 * replaced after the call (a name is missing when the 'wasm' backend has no such kernel).
 * `initBackend('wasm')` calls it; correctness fixes are not optional.
 */
export function useWasmKernelFixes(): string[] {
  const replaced: string[] = [];
  for (const name of WASM_KERNEL_FIXES) {
    const current = tf.getKernel(name, 'wasm');
    if (!current) continue;
    if (!isFix(current.kernelFunc)) {
      const config = replacement(name, current);
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(config);
    }
    replaced.push(name);
  }
  return replaced;
}
