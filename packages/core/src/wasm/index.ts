import * as tf from '@tensorflow/tfjs-core';

/** Kernels that training needs and @tensorflow/tfjs-backend-wasm 4.22 lacks; @cv/core registers them for 'wasm'. */
export const WASM_TRAINING_KERNELS: readonly string[] = [];

/**
 * Registers @cv/core's training kernels for the 'wasm' backend (idempotent). Returns the kernel names that
 * are registered by @cv/core after the call. `initBackend('wasm')` calls it.
 */
export function registerWasmTrainingKernels(): string[] {
  return WASM_TRAINING_KERNELS.filter((k) => tf.getKernel(k, 'wasm') !== undefined);
}
