/**
 * @cv/core nn: PyTorch-shaped modules on NHWC tensors, with state dicts in PyTorch's names and layouts.
 */

export {
  AdaptiveAvgPool2d,
  AdaptiveMaxPool2d,
  type AdaptiveOutputSize,
  adaptiveBin,
} from './adaptive-pool2d.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './batch-norm2d.js';
export {
  Conv2d,
  type Conv2dOptions,
  type Conv2dPadding,
  dilateKernel,
  type FunctionalConv2dOptions,
  functionalConv2d,
  resolveConv2dPadding,
} from './conv2d.js';
export { Dropout } from './dropout.js';
export { Flatten, type FlattenOptions } from './flatten.js';
export { Linear, type LinearOptions } from './linear.js';
export { maxPoolFirstMax } from './max-pool-first-max.js';
export { MaxPool2d, type MaxPool2dOptions, poolOutputSize } from './max-pool2d.js';
export {
  type AnyModule,
  type LoadStateDictOptions,
  Module,
  type RegisterBufferOptions,
  type RegisterParameterOptions,
} from './module.js';
export { ReLU } from './relu.js';
export { Sequential, type TensorModule } from './sequential.js';
export {
  type InvalidEntry,
  type LoadStateDictResult,
  type RawTensor,
  type ShapeMismatch,
  type StateDict,
  type StateDictEntry,
  StateDictError,
  type StateDictInput,
} from './state-dict.js';
export {
  CONV_TRANSPOSE2D_WEIGHT_LAYOUT,
  CONV2D_WEIGHT_LAYOUT,
  IDENTITY_LAYOUT,
  LINEAR_WEIGHT_LAYOUT,
  permutedLayout,
  type TensorLayout,
} from './tensor-layout.js';
