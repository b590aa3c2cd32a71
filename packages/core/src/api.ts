// The public API shared by both entries. Importing it registers tfjs-core's gradients and chained tensor
// methods (x.mean(), x.add(y)) once, so tf.variableGrads works in plain Node, ESM and CJS, without a bundler.
import './gradients.js';

export {
  BACKEND_NAMES,
  type BackendInfo,
  type BackendName,
  BackendUnavailableError,
  getBackendInfo,
  type InitBackendOptions,
  initBackend,
  type SkippedBackend,
} from './backend.js';
export * from './data/index.js';
export * from './image/index.js';
export * from './losses/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './train/index.js';
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './wasm/index.js';
export * from './weights/index.js';
