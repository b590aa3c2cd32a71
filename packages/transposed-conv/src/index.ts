export type { IntPair } from './args.js';
export { bilinearKernel, bilinearWeights1d } from './bilinear-kernel.js';
export { type ConvMatrixOptions, convMatrix, kernel2matrix } from './conv-matrix.js';
export {
  type ConvTranspose2dMethod,
  type ConvTranspose2dOptions,
  type ConvTranspose2dPlan,
  convTranspose2d,
  planConvTranspose2d,
} from './conv-transpose2d.js';
export {
  ConvTranspose2d,
  type ConvTranspose2dModuleOptions,
  initBilinear,
} from './conv-transpose2d-module.js';
export {
  type ConvTranspose2dGeometry,
  convTranspose2dOutputSize,
} from './output-size.js';
export { transConv } from './trans-conv.js';
