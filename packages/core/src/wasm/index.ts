import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropFilterWasm } from './depthwise-conv2d-native-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputWasm } from './depthwise-conv2d-native-backprop-input.js';
import { unsortedSegmentSumWasm } from './unsorted-segment-sum.js';

// Opt-in, not registered by registerWasmTrainingKernels: tfjs-backend-wasm has its own (slow) Conv2DBackpropInput.
export { conv2dBackpropInputWasm, useFastWasmConv2DBackpropInput } from './conv2d-backprop-input.js';
// Corrected replacements of kernels tfjs-backend-wasm 4.22 gets wrong (MaxPoolGrad, OneHot); initBackend installs them.
export { useWasmKernelFixes, WASM_KERNEL_FIXES } from './kernel-fixes.js';
export { maxPoolGradWasm } from './max-pool-grad.js';
export { oneHotWasm } from './one-hot.js';

/**
 * The kernels @cv/core adds to the 'wasm' backend. Each is built from the WASM backend's own kernels
 * (XNNPACK GEMMs and convolutions, pads, transposes), never by copying tensors to another backend.
 */
const KERNELS: readonly tf.KernelConfig[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: depthwiseConv2dNativeBackpropFilterWasm as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: depthwiseConv2dNativeBackpropInputWasm as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc,
  },
];

/** Kernels that training needs and @tensorflow/tfjs-backend-wasm 4.22 lacks; @cv/core registers them for 'wasm'. */
export const WASM_TRAINING_KERNELS: readonly string[] = KERNELS.map((k) => k.kernelName);

/** Marks @cv/core's kernel functions, so that every copy of @cv/core (ESM and CJS) recognises them. */
const MARK = Symbol.for('@cv/core:wasm-training-kernel');
for (const k of KERNELS) (k.kernelFunc as unknown as Record<symbol, boolean>)[MARK] = true;
const isOurs = (f: tf.KernelFunc) => (f as unknown as Record<symbol, boolean>)[MARK] === true;

/**
 * Registers @cv/core's training kernels for the 'wasm' backend (idempotent). Returns the kernel names that
 * are registered by @cv/core after the call. `initBackend('wasm')` calls it.
 */
export function registerWasmTrainingKernels(): string[] {
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') === undefined) {
      tf.registerKernel(config);
    }
  }
  return KERNELS.filter((k) => {
    const registered = tf.getKernel(k.kernelName, 'wasm');
    return registered !== undefined && isOurs(registered.kernelFunc);
  }).map((k) => k.kernelName);
}
