// @cv/style-transfer: neural style transfer (Gatys et al.; d2l §14.12) on torchvision-compatible VGG-19
// features. Platform-neutral; the Node driver (files, progress bar, plots) is in './node'.
export {
  computeLoss,
  DEFAULT_LOSS_WEIGHTS,
  type LossWeights,
  type StyleTransferLosses,
} from './compute-loss.js';
export { contentLoss } from './content-loss.js';
export {
  DEFAULT_CONTENT_LAYERS,
  DEFAULT_STYLE_LAYERS,
  deepestLayer,
  type ExtractFeaturesOptions,
  extractFeatures,
  type Features,
} from './extract-features.js';
export { FrozenVgg19 } from './frozen-vgg.js';
export { gram } from './gram.js';
export { postprocess, preprocess } from './preprocess.js';
export { styleLoss } from './style-loss.js';
export { type StepLosses, Synthesizer, type SynthesizerOptions } from './synthesizer.js';
export { tvLoss } from './tv-loss.js';
export {
  VGG19_CONFIG,
  VGG19_LAYER_KINDS,
  VGG19_LAYER_NAMES,
  VGG19_NUM_LAYERS,
  Vgg19,
  type Vgg19LayerKind,
  type Vgg19Options,
} from './vgg19.js';
export {
  type LoadVgg19WeightsOptions,
  type LoadVgg19WeightsResult,
  loadVgg19Weights,
  loadVgg19WeightsFromSafetensors,
  type Vgg19Checkpoint,
  type Vgg19CheckpointFormat,
} from './vgg19-weights.js';
