/**
 * Losses with PyTorch 1.13 semantics, class axis last (NHWC). Each returns a new tensor the caller owns
 * and leaks nothing; all are differentiable with respect to their prediction input.
 */
export { type CrossEntropyOptions, crossEntropy } from './cross-entropy.js';
export { l1Loss, type RegressionLossOptions } from './l1-loss.js';
export {
  type MaskedLossOptions,
  type MaskedSmoothL1LossOptions,
  maskedL1Loss,
  maskedMseLoss,
  maskedSmoothL1Loss,
} from './masked.js';
export { mseLoss } from './mse-loss.js';
export { type NllLossOptions, nllLoss } from './nll-loss.js';
export { type SmoothL1LossOptions, smoothL1Loss } from './smooth-l1-loss.js';
export type { Reduction } from './validate.js';
