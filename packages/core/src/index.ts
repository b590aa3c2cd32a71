/**
 * @cv/core for browsers and bundlers: backend selection, gradients and chained tensor methods registered
 * with tfjs-core, WASM training kernels. Node.js gets `index.node.ts` through the `node` export condition.
 */
import { setPlatform } from './backend.js';
import { browserPlatform } from './platform/browser.js';

setPlatform(browserPlatform);

export * from './api.js';
export {
  originalWebgpuKernel,
  registerWebgpuKernels,
  restoreWebgpuKernels,
  WEBGPU_KERNELS,
  WEBGPU_OPTIONAL_KERNELS,
  webgpuKernelsInUse,
} from './webgpu/index.js';
