/**
 * @cv/fcn: fully convolutional semantic segmentation (d2l 13.11) on a torchvision-compatible ResNet-18, for
 * TensorFlow.js (NHWC). Node-only helpers (weights from files/URLs, checkpoints) are in `@cv/fcn/node`.
 */
export { FCN, type FCNOptions, VOC_NUM_CLASSES } from './fcn.js';
export { checkSegmentationPair, fcnLoss, IGNORE_INDEX } from './loss.js';
export { SegmentationMetric, type SegmentationScores } from './metrics.js';
export { label2image, type PredictOptions, predict } from './predict.js';
export { BasicBlock, ResNet, type ResNetOptions, resnet18 } from './resnet.js';
export {
  evaluateFcn,
  type FcnEpochEnd,
  type SegmentationBatch,
  type SegmentationLoader,
  type StepResult,
  type TrainFcnOptions,
  type TrainStepOptions,
  trainFcn,
  trainStep,
} from './train.js';
export {
  loadResNetWeights,
  type ResNetWeightsFormat,
  type ResNetWeightsInput,
  type ResNetWeightsOptions,
  resnetStateDictFromCheckpoint,
} from './weights.js';
