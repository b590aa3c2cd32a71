// The platform-neutral API of @cv/datasets-voc (both entries export it).
export {
  BANANAS_CSV_HEADER,
  BANANAS_IMAGE_SIZE,
  type BananaBatch,
  type BananaItem,
  BananasDataset,
  type BananasRaw,
  bananasSplitDir,
  collateBananas,
  type LoadDataBananasOptions,
  type LoaderPair,
  loadDataBananas,
  type ReadBananasOptions,
  readBananasRaw,
  readDataBananas,
} from './bananas.js';
export {
  type CheckVocOptions,
  type CheckVocProblem,
  type CheckVocReport,
  checkVoc,
  formatCheckVocReport,
} from './check-voc.js';
export { DatasetFileError, type DatasetFileProblem, type ErrorPolicy, type OnError } from './errors.js';
export { imageHeaderSize } from './image-header.js';
export { LruCache } from './lru-cache.js';
export {
  type DataPlatform,
  getDataPlatform,
  isUrl,
  joinRoot,
  type RgbPixels,
  setDataPlatform,
} from './platform.js';
export {
  classStyle,
  insideShape,
  randomScene,
  type Scene,
  type SceneObject,
  SHAPES,
  type ShapeKind,
} from './synth/voc-scene.js';
export {
  normalizeVocBox,
  parseVocAnnotation,
  type VocAnnotation,
  type VocObject,
} from './voc-annotation.js';
export {
  VOC_BORDER_COLOR,
  VOC_CLASSES,
  VOC_COLORMAP,
  VOC_DETECTION_CLASSES,
  VOC_IGNORE_INDEX,
  VOC_LAYOUT_HINT,
} from './voc-constants.js';
export {
  collateDetection,
  type LoadDataVocDetectionOptions,
  loadDataVocDetection,
  padLabels,
  VOCDetection,
  type VOCDetectionOptions,
  type VocDetBatch,
  type VocDetItem,
} from './voc-detection.js';
export {
  type Box,
  type ClassDetection,
  type ClassEvalResult,
  type ClassGroundTruth,
  type Detection,
  type ImageAnnotation,
  type VocEvalOptions,
  type VocEvaluation,
  vocAp,
  vocEvalClass,
  vocEvaluate,
} from './voc-eval.js';
export {
  type Colormap2LabelOptions,
  checkLabelValues,
  decodeLabelFile,
  type LabelMap,
  vocColormap2label,
  vocLabelIndices,
} from './voc-labels.js';
export { readImageSet, type VocTask } from './voc-layout.js';
export { vocRandCrop } from './voc-rand-crop.js';
export {
  collateSeg,
  cropNormalize,
  type LoadDataVocOptions,
  loadDataVoc,
  readVocSegExample,
  VOCSegDataset,
  type VOCSegDatasetOptions,
  type VocDecoded,
  type VocSegBatch,
  type VocSegItem,
} from './voc-seg-dataset.js';
