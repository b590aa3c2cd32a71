/**
 * @cv/ssd: single shot multibox detectors for TensorFlow.js: compose (`createSsd`), d2l's TinySSD, the seed's
 * loss and metrics, a training step, detection. Node-only parts (training loop with checkpoints, files,
 * drawing) are in `@cv/ssd/node`.
 */
export { flipDetectionBatch } from './augment.js';
export { type Detection, type DetectOptions, decodeDetections, detect } from './detect.js';
export { DownSampleBlock, downSampleBlock, tinyBaseNet } from './down-sample-block.js';
export { type DetectionBatch, type EvaluateSsdOptions, evaluateSsd, type SsdEvaluation } from './evaluate.js';
export {
  batchNormTraining,
  conv2dSame,
  FastBatchNorm2d,
  FastConv2d,
  FastMaxPool2d,
  maxPool2x2,
} from './fast-layers.js';
export { calcLoss, hardNegativeMask, type SsdLossOptions } from './loss.js';
export { bboxAbsError, bboxEval, classCorrect, classEval } from './metrics.js';
export { readSsdConfig, ssdFromSafetensors, ssdToSafetensors } from './serialize.js';
export { type CreateSsdOptions, createSsd, Ssd, type SsdConfig, type SsdOutput } from './ssd.js';
export {
  ssdAnchorSizes,
  TINY_SSD_CHANNELS,
  TINY_SSD_RATIOS,
  TINY_SSD_SIZES,
  type TinySsdOptions,
  tinySsd,
} from './tiny-ssd.js';
export { type SsdStepOptions, type SsdStepResult, trainStep } from './train-step.js';
