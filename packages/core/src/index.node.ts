/**
 * @cv/core for Node.js (selected by the package's `node` export condition): the same API as the browser
 * entry, with Node's backend loaders (Dawn for WebGPU, tfjs-node, the installed WASM files).
 */
import { setPlatform } from './backend.js';
import { nodePlatform } from './platform/node.js';

setPlatform(nodePlatform);

export * from './api.js';
export * from './node/index.js';
export {
  originalWebgpuKernel,
  registerWebgpuKernels,
  restoreWebgpuKernels,
  WEBGPU_KERNELS,
  WEBGPU_OPTIONAL_KERNELS,
  webgpuKernelsInUse,
} from './webgpu/index.js';
