import { parseSafetensors, serializeSafetensors } from '@cv/core';
import type * as tf from '@tensorflow/tfjs-core';
import { Ssd, type SsdConfig } from './ssd.js';
import { tinySsd } from './tiny-ssd.js';

const FORMAT = 'cv-ssd';

/**
 * The model as the bytes of a safetensors file: its state dict in PyTorch's names and layouts (OIHW conv
 * weights; loadable by `safetensors.torch.load_file` into d2l's PyTorch TinySSD) and its {@link SsdConfig}
 * as JSON in the header's `__metadata__` (`ssd_config`).
 */
export function ssdToSafetensors(model: Ssd): Uint8Array {
  if (!(model instanceof Ssd)) throw new Error('ssdToSafetensors: model must be an Ssd');
  const dict = model.stateDict();
  try {
    return serializeSafetensors(dict, { format: FORMAT, ssd_config: JSON.stringify(model.config) });
  } finally {
    for (const t of Object.values(dict)) (t as tf.Tensor).dispose();
  }
}

/** The config stored in a file written by {@link ssdToSafetensors}. */
export function readSsdConfig(bytes: Uint8Array | ArrayBuffer): SsdConfig {
  const { metadata } = parseSafetensors(bytes);
  if (!metadata.ssd_config) {
    throw new Error(
      'readSsdConfig: the file has no ssd_config in its metadata (not written by ssdToSafetensors)',
    );
  }
  return JSON.parse(metadata.ssd_config) as SsdConfig;
}

/**
 * A model from {@link ssdToSafetensors}'s bytes. A `'tiny-ssd'` config is rebuilt here; for another
 * architecture pass `model` (built with `createSsd` the same way), which is loaded in place (strictly:
 * every name and shape must match) and returned.
 */
export function ssdFromSafetensors(bytes: Uint8Array | ArrayBuffer, options: { model?: Ssd } = {}): Ssd {
  const fn = 'ssdFromSafetensors';
  const parsed = parseSafetensors(bytes);
  const text = parsed.metadata.ssd_config;
  if (!text)
    throw new Error(`${fn}: the file has no ssd_config in its metadata (not written by ssdToSafetensors)`);
  const config = JSON.parse(text) as SsdConfig;
  let model = options.model;
  if (model) {
    if (!(model instanceof Ssd)) throw new Error(`${fn}: options.model must be an Ssd`);
    const a = JSON.stringify(model.config);
    if (a !== text) throw new Error(`${fn}: options.model's config ${a} differs from the file's ${text}`);
  } else if (config.arch === 'tiny-ssd') {
    model = tinySsd({ numClasses: config.numClasses, sizes: config.sizes });
  } else {
    throw new Error(
      `${fn}: the file holds a '${config.arch}' SSD; build it with createSsd and pass it as options.model`,
    );
  }
  const created = !options.model;
  try {
    model.loadStateDict(parsed.tensors);
  } catch (err) {
    if (created) model.dispose();
    throw err;
  }
  return model;
}
