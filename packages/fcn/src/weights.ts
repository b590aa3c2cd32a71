import type { ParsedSafetensors, RawTensor, SafetensorsTensor } from '@cv/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { ResNet } from './resnet.js';

/**
 * The naming scheme of a ResNet checkpoint: `'torchvision'` (`torchvision.models.resnet18` state dicts
 * converted to safetensors), `'timm'` (timm's `resnet18.tv_in1k`, torchvision's weights republished as
 * `model.safetensors`; timm's ResNet uses torchvision's parameter names), or `'auto'` (default).
 */
export type ResNetWeightsFormat = 'torchvision' | 'timm' | 'auto';

export interface ResNetWeightsOptions {
  /** Default 'auto'. */
  format?: ResNetWeightsFormat;
  /**
   * Require `fc.weight`/`fc.bias` (and load them). Default: load them when present; a backbone-only file
   * (no `fc.*`) leaves the model's fc as it is.
   */
  requireFc?: boolean;
}

const PREFIXES = ['module.', 'model.', 'backbone.', 'resnet.'];

/** What a checkpoint may hold: a parsed safetensors file, its tensor map, or a record of tensors/raw tensors. */
export type ResNetWeightsInput =
  | ParsedSafetensors
  | Map<string, SafetensorsTensor | RawTensor | tf.Tensor>
  | Record<string, RawTensor | tf.Tensor>;

/**
 * Maps a ResNet checkpoint's keys to this package's (= torchvision's) names: a leading `module.` (DataParallel),
 * `model.`, `backbone.` or `resnet.` prefix shared by all keys is removed; timm's names are torchvision's.
 * Keys that no ResNet has (a wrapper's extra heads) are reported as unexpected by `loadResNetWeights`.
 *
 * @returns a new Map (the tensors are not copied).
 */
export function resnetStateDictFromCheckpoint(
  input: ResNetWeightsInput,
  options: { format?: ResNetWeightsFormat } = {},
): Map<string, RawTensor | tf.Tensor> {
  const format = options.format ?? 'auto';
  if (!['torchvision', 'timm', 'auto'].includes(format)) {
    throw new Error(
      `resnetStateDictFromCheckpoint: options.format must be 'torchvision', 'timm' or 'auto', got ${JSON.stringify(format)}`,
    );
  }
  let entries: [string, RawTensor | tf.Tensor][];
  if (input instanceof Map) entries = [...input.entries()];
  else if (input && typeof input === 'object' && (input as ParsedSafetensors).tensors instanceof Map)
    entries = [...(input as ParsedSafetensors).tensors.entries()];
  else if (input && typeof input === 'object')
    entries = Object.entries(input as Record<string, RawTensor | tf.Tensor>);
  else
    throw new Error(
      `resnetStateDictFromCheckpoint: expected a parsed safetensors file, a Map or a record of tensors, got ${input === null ? 'null' : typeof input}`,
    );
  if (entries.length === 0) throw new Error('resnetStateDictFromCheckpoint: the checkpoint holds no tensors');
  for (const prefix of PREFIXES) {
    if (entries.every(([k]) => k.startsWith(prefix))) {
      entries = entries.map(([k, v]) => [k.slice(prefix.length), v]);
      break;
    }
  }
  if (!entries.some(([k]) => k === 'conv1.weight')) {
    const sample = entries
      .slice(0, 5)
      .map(([k]) => k)
      .join(', ');
    throw new Error(
      `resnetStateDictFromCheckpoint: no 'conv1.weight' in the checkpoint (format '${format}'); is it a torchvision/timm ResNet? First keys: ${sample}`,
    );
  }
  return new Map(entries);
}

/**
 * Loads torchvision-named ResNet weights (see `resnetStateDictFromCheckpoint`) into `model`, converting
 * conv weights OIHW → HWIO. Every backbone key (`conv1` … `layer4`, BatchNorm running statistics included;
 * `num_batches_tracked` may be absent, as in torchvision's files) must be present with the right shape;
 * `fc.*` is loaded when present (see `requireFc`). All problems are reported at once and then nothing is
 * loaded (`StateDictError`).
 *
 * @returns the keys that were not loaded because the model has no such entry (empty for a plain ResNet file).
 */
export function loadResNetWeights(
  model: ResNet,
  input: ResNetWeightsInput,
  options: ResNetWeightsOptions = {},
): { loaded: number; fcLoaded: boolean } {
  const dict = resnetStateDictFromCheckpoint(input, options);
  const hasFc = dict.has('fc.weight') || dict.has('fc.bias');
  if (options.requireFc && !hasFc)
    throw new Error(
      'loadResNetWeights: options.requireFc is set but the checkpoint has no fc.weight/fc.bias',
    );
  if (hasFc) {
    model.loadStateDict(dict);
  } else {
    // Check before loading: a strict-false load would change some variables and then report.
    const names = [...model.namedParameters(), ...model.namedBuffers()].map(([k]) => k);
    const known = new Set(names);
    const missing = names.filter(
      (k) => !dict.has(k) && !k.startsWith('fc.') && !k.endsWith('num_batches_tracked'),
    );
    const unexpected = [...dict.keys()].filter((k) => !known.has(k));
    if (missing.length || unexpected.length) {
      throw new Error(
        `loadResNetWeights: the checkpoint does not fit a ResNet backbone, nothing was loaded: missing (${missing.length}) ${missing.join(', ') || 'none'}; unexpected (${unexpected.length}) ${unexpected.join(', ') || 'none'}`,
      );
    }
    model.loadStateDict(dict, { strict: false });
  }
  return { loaded: dict.size, fcLoaded: hasFc };
}
