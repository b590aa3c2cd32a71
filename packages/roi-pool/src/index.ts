/**
 * @cv/roi-pool: RoI pooling and RoI align with gradients on TensorFlow.js (NHWC), exact to torchvision's
 * `ops.roi_pool`, `ops.roi_align` and `ops.MultiScaleRoIAlign` (Fast, Faster and Mask R-CNN).
 */
export type { OutputSize, RoisLike } from './args.js';
export {
  MultiScaleRoIAlign,
  type MultiScaleRoIAlignOptions,
  mapRoIsToLevels,
  multiScaleRoIAlign,
} from './multi-scale-roi-align.js';
export { RoIAlign, type RoIAlignOptions, roiAlign } from './roi-align.js';
export { RoIPool, roiPool } from './roi-pool.js';
