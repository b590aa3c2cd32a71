/**
 * @cv/anchors: anchor boxes and the box operations of object detection for TensorFlow.js, with the exact
 * semantics of d2l §13.4 and torchvision.ops. Boxes are normalized corners `[x1, y1, x2, y2]`.
 */
export { type AnchorCoverage, type AnchorCoverageOptions, anchorCoverage } from './anchor-coverage.js';
export { assignAnchorToBbox } from './assign-anchor-to-bbox.js';
export { batchedNms } from './batched-nms.js';
export { boxArea } from './box-area.js';
export { boxCenterToCorner, boxCornerToCenter } from './box-convert.js';
export { boxIou, generalizedBoxIou } from './box-iou.js';
export { type MultiboxDetectionOptions, multiboxDetection } from './multibox-detection.js';
export { multiboxPrior } from './multibox-prior.js';
export { type MultiboxTargetOptions, type MultiboxTargets, multiboxTarget } from './multibox-target.js';
export { type NmsOptions, type NmsSemantics, nms } from './nms.js';
export {
  D2L_BOX_WEIGHTS,
  D2L_OFFSET_EPS,
  type OffsetBoxesOptions,
  type OffsetInverseOptions,
  offsetBoxes,
  offsetInverse,
} from './offset-boxes.js';
export { type SoftNmsOptions, type SoftNmsResult, softNms } from './soft-nms.js';
