// @cv/core data: datasets, the DataLoader, a seeded RNG and joint image/label transforms (NHWC, PyTorch semantics).
export { type Collated, defaultCollate } from './collate.js';
export { DataLoader, type DataLoaderOptions } from './data-loader.js';
export { ArrayDataset, cloneTensors, type Dataset, mapDataset, TensorDataset } from './dataset.js';
export { denormalize, IMAGENET_MEAN, IMAGENET_STD, type NormalizeOptions, normalize } from './normalize.js';
export { type CropRect, cropTensor, type JointResult, randomCrop, randomCropRect } from './random-crop.js';
export {
  flipBoxesHorizontal,
  type RandomFlipOptions,
  randomHorizontalFlip,
} from './random-horizontal-flip.js';
export { type ResizeMethod, type ResizeOptions, resize } from './resize.js';
export { epochSeed, type RandomSource, Rng, randomInt, uniform } from './rng.js';
