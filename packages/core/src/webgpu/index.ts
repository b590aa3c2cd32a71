import * as tf from '@tensorflow/tfjs-core';
import { makeLeadingReduceWebgpu } from './column-sum.js';
import { makeConv2dBackpropFilterWebgpu } from './conv2d-backprop-filter.js';
import { makeConv2dBackpropInputWebgpu } from './conv2d-backprop-input.js';

export { ColumnSumProgram, columnSumPasses, makeLeadingReduceWebgpu, runLeadingSum } from './column-sum.js';
export {
  FilterGradGemmProgram,
  makeConv2dBackpropFilterWebgpu,
  runFilterGradient,
} from './conv2d-backprop-filter.js';
export {
  backpropInputAsConvPads,
  FlipFilterProgram,
  makeConv2dBackpropInputWebgpu,
} from './conv2d-backprop-input.js';
export {
  type ConvGeometry,
  chooseTile,
  emulateFilterGradPlan,
  type FilterGradPlan,
  type PlanOptions,
  planConv2dBackpropFilter,
} from './plan.js';
export type { ProgramUniform, WebgpuBackendLike, WebgpuProgram } from './program.js';

/** The 'webgpu' kernels @cv/core can replace, and how each replacement is made from the original. */
const REPLACEMENTS: Record<string, (original: tf.KernelFunc | undefined) => tf.KernelFunc> = {
  Conv2DBackpropFilter: makeConv2dBackpropFilterWebgpu,
  Conv2DBackpropInput: makeConv2dBackpropInputWebgpu,
  Sum: makeLeadingReduceWebgpu('Sum'),
  Mean: makeLeadingReduceWebgpu('Mean'),
};

/** Kernel names @cv/core replaces on 'webgpu' by default: the filter gradient (the training wall). */
export const WEBGPU_KERNELS: readonly string[] = ['Conv2DBackpropFilter'];
/** Replacements available on request (`registerWebgpuKernels({ kernels })`). */
export const WEBGPU_OPTIONAL_KERNELS: readonly string[] = ['Conv2DBackpropInput', 'Sum', 'Mean'];

/** Marks our kernel functions so that every copy of @cv/core (ESM, CJS, bundles) recognises them. */
const MARK = Symbol.for('@cv/core:webgpu-kernel');
/** The backend's own kernel configs, kept on tfjs-core's registry object's side (one per process). */
const ORIGINALS_KEY = Symbol.for('@cv/core:webgpu-original-kernels');
type Store = Map<string, tf.KernelConfig>;
function originals(): Store {
  const g = globalThis as unknown as Record<symbol, Store | undefined>;
  g[ORIGINALS_KEY] ??= new Map();
  return g[ORIGINALS_KEY];
}

const isOurs = (f: tf.KernelFunc | undefined) =>
  f !== undefined && (f as unknown as Record<symbol, boolean>)[MARK] === true;

/** tfjs-backend-webgpu's own kernel for `kernelName` (the one @cv/core replaced, or the registered one). */
export function originalWebgpuKernel(kernelName: string): tf.KernelConfig | undefined {
  const saved = originals().get(kernelName);
  if (saved) return saved;
  const current = tf.getKernel(kernelName, 'webgpu');
  return current && !isOurs(current.kernelFunc) ? current : undefined;
}

/**
 * Registers @cv/core's WebGPU kernels in place of tfjs-backend-webgpu 4.22's (idempotent; call after the
 * backend package is imported: it registers its kernels at import time). `initBackend('webgpu')` calls it.
 * The originals stay available: {@link originalWebgpuKernel}, {@link restoreWebgpuKernels}.
 *
 * - `Conv2DBackpropFilter` (default): split-K implicit GEMM in WGSL (`plan.ts`), in place of one thread per
 *   filter weight looping over the whole batch (207 ms for a 9.7-GFLOP gradient on an H100).
 * - `Conv2DBackpropInput` (on request): at stride 1, one forward convolution with the flipped filter through
 *   the backend's `Conv2D`.
 * - `Sum`, `Mean` (on request): over a leading block of axes (BatchNorm statistics and bias gradients on NHWC:
 *   axes [0, 1, 2]), interleaved column sums over the whole GPU (`column-sum.ts`) in place of a transpose and
 *   one workgroup per channel; other axes go to the backend's kernel. Not on by default until a GPU run
 *   measures it (`bench/gpu/run.sh`, the training section's variant).
 *
 * Returns the kernel names that are @cv/core's after the call.
 */
export function registerWebgpuKernels(options: { kernels?: readonly string[] } = {}): string[] {
  const names = options.kernels ?? WEBGPU_KERNELS;
  for (const name of names) {
    const make = REPLACEMENTS[name];
    if (!make) {
      throw new Error(
        `registerWebgpuKernels: unknown kernel '${name}'; expected some of ${Object.keys(REPLACEMENTS).join(', ')}`,
      );
    }
    const current = tf.getKernel(name, 'webgpu');
    if (isOurs(current?.kernelFunc)) continue;
    if (current) {
      originals().set(name, current);
      tf.unregisterKernel(name, 'webgpu');
    }
    const kernelFunc = make(current?.kernelFunc);
    (kernelFunc as unknown as Record<symbol, boolean>)[MARK] = true;
    tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc });
  }
  return webgpuKernelsInUse();
}

/** The kernel names on 'webgpu' that are @cv/core's now. */
export function webgpuKernelsInUse(): string[] {
  return Object.keys(REPLACEMENTS).filter((name) => isOurs(tf.getKernel(name, 'webgpu')?.kernelFunc));
}

/** Puts tfjs-backend-webgpu's own kernels back (all of @cv/core's, or those named). Returns what was restored. */
export function restoreWebgpuKernels(kernels: readonly string[] = Object.keys(REPLACEMENTS)): string[] {
  const restored: string[] = [];
  for (const name of kernels) {
    const current = tf.getKernel(name, 'webgpu');
    if (!isOurs(current?.kernelFunc)) continue;
    tf.unregisterKernel(name, 'webgpu');
    const saved = originals().get(name);
    if (saved) tf.registerKernel(saved);
    restored.push(name);
  }
  return restored;
}
