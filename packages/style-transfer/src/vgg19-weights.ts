import {
  type LoadSafetensorsOptions,
  loadSafetensors,
  type ParsedSafetensors,
  type RawTensor,
  type SafetensorsTensor,
} from '@cv/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { Vgg19 } from './vgg19.js';

/** Which naming a VGG-19 checkpoint uses. */
export type Vgg19CheckpointFormat = 'torchvision' | 'timm';

/**
 * A checkpoint as `loadVgg19Weights` takes it: a parsed safetensors file (`parseSafetensors`,
 * `loadSafetensors`, `readSafetensorsFile`), its `tensors` Map, or a record/Map of tensors in PyTorch's layout
 * (`toTensors(parsed)`).
 */
export type Vgg19Checkpoint =
  | ParsedSafetensors
  | Map<string, SafetensorsTensor | RawTensor | tf.Tensor>
  | Record<string, SafetensorsTensor | RawTensor | tf.Tensor>;

export interface LoadVgg19WeightsResult {
  /** torchvision (`classifier.*` keys or none) or timm (`pre_logits.*` / `head.*` keys, `vgg19.tv_in1k`). */
  format: Vgg19CheckpointFormat;
  /** The `features.N.*` keys loaded, in the model's order. */
  loaded: string[];
  /**
   * Keys of the checkpoint that were not needed: the classifier/head, and the features after the model's
   * `lastLayer` (only the layers up to the deepest one used are built and loaded).
   */
  skipped: string[];
}

export interface LoadVgg19WeightsOptions {
  /**
   * A prefix that every key of the checkpoint carries, removed before matching (e.g. `'module.'` for a
   * checkpoint saved from `DataParallel`). Default: none.
   */
  prefix?: string;
}

const HEAD_KEYS = /^(classifier|pre_logits|head)\./;
const FEATURE_KEY = /^features\.(\d+)\.(weight|bias)$/;

function entriesOf(checkpoint: Vgg19Checkpoint): Array<[string, SafetensorsTensor | RawTensor | tf.Tensor]> {
  const fn = 'loadVgg19Weights';
  if (checkpoint instanceof Map) return [...checkpoint.entries()];
  if (checkpoint && typeof checkpoint === 'object') {
    const tensors = (checkpoint as ParsedSafetensors).tensors;
    if (tensors instanceof Map && 'metadata' in checkpoint) return [...tensors.entries()];
    return Object.entries(checkpoint as Record<string, SafetensorsTensor | RawTensor | tf.Tensor>);
  }
  throw new TypeError(
    `${fn}: checkpoint must be a parsed safetensors file, a Map or a record of tensors, got ${checkpoint === null ? 'null' : typeof checkpoint}`,
  );
}

/**
 * Loads a torchvision VGG-19 checkpoint (keys `features.N.weight` `[out, in, 3, 3]` and `features.N.bias`,
 * `classifier.*`) or timm's `vgg19.tv_in1k` (the same torchvision weights with the same `features.N.*` names,
 * its head renamed `pre_logits.fc1/fc2` and `head.fc`) into `net`. Only the keys of the layers `net` built
 * (`0..net.lastLayer`) are loaded; the head and the deeper layers are skipped and listed. A missing key,
 * a shape mismatch, or a checkpoint with no `features.*` key at all (another model) is an error naming the
 * keys; then nothing is loaded. The caller keeps ownership of the checkpoint's tensors.
 *
 * Safetensors files of torchvision's weights: torchvision ships `.pth` files; convert one with
 * `safetensors.torch.save_file(torchvision.models.vgg19(weights='IMAGENET1K_V1').state_dict(), 'vgg19.safetensors')`,
 * or use timm's `https://huggingface.co/timm/vgg19.tv_in1k/resolve/main/model.safetensors` as it is.
 */
export function loadVgg19Weights(
  net: Vgg19,
  checkpoint: Vgg19Checkpoint,
  options: LoadVgg19WeightsOptions = {},
): LoadVgg19WeightsResult {
  const fn = 'loadVgg19Weights';
  const prefix = options.prefix ?? '';
  const entries = entriesOf(checkpoint).map(
    ([k, v]) => [prefix && k.startsWith(prefix) ? k.slice(prefix.length) : k, v] as const,
  );
  const keys = entries.map(([k]) => k);
  if (!keys.some((k) => FEATURE_KEY.test(k))) {
    const sample = keys.slice(0, 5).join(', ');
    throw new Error(
      `${fn}: the checkpoint has no 'features.N.weight' keys, so it is not a torchvision or timm VGG-19 (its keys: ${sample}${keys.length > 5 ? ', …' : ''}${prefix ? `; prefix '${prefix}' removed` : ''})`,
    );
  }
  const format: Vgg19CheckpointFormat = keys.some((k) => /^(pre_logits|head)\./.test(k))
    ? 'timm'
    : 'torchvision';
  const wanted = new Set(net.namedParameters().map(([k]) => k));
  const dict: Record<string, SafetensorsTensor | RawTensor | tf.Tensor> = {};
  const skipped: string[] = [];
  for (const [k, v] of entries) {
    if (wanted.has(k)) dict[k] = v;
    else if (HEAD_KEYS.test(k)) skipped.push(k);
    else {
      const m = FEATURE_KEY.exec(k);
      if (m && Number(m[1]) > net.lastLayer) skipped.push(k);
      else dict[k] = v; // unexpected: loadStateDict reports it
    }
  }
  net.loadStateDict(dict as Record<string, RawTensor | tf.Tensor>);
  return { format, loaded: net.namedParameters().map(([k]) => k), skipped };
}

/**
 * Reads a checkpoint with `loadSafetensors` (bytes, a Blob/File, a Response, or a URL; browsers cache URL
 * downloads in the Cache API) and loads it with {@link loadVgg19Weights}. In Node, `loadVgg19WeightsFrom`
 * from `@cv/style-transfer/node` also reads files and caches downloads on disk.
 */
export async function loadVgg19WeightsFromSafetensors(
  net: Vgg19,
  source: ArrayBuffer | Uint8Array | Blob | Response | string | URL,
  options: LoadVgg19WeightsOptions & LoadSafetensorsOptions = {},
): Promise<LoadVgg19WeightsResult> {
  const { prefix, ...loadOptions } = options;
  const parsed = await loadSafetensors(source, loadOptions);
  return loadVgg19Weights(net, parsed, prefix === undefined ? {} : { prefix });
}
