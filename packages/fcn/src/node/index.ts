/**
 * @cv/fcn's Node.js helpers (`@cv/fcn/node`): ResNet weights from files or URLs (cached download with
 * progress) and training checkpoints on disk. The models and the training loop come from `@cv/fcn`.
 */
import {
  disposeCheckpoint,
  type FetchWeightsOptions,
  History,
  loadCheckpoint,
  type Optimizer,
  readWeights,
  saveCheckpoint,
} from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import type { FCN } from '../fcn.js';
import type { ResNet } from '../resnet.js';
import type { FcnEpochEnd } from '../train.js';
import { loadResNetWeights, type ResNetWeightsOptions } from '../weights.js';

/**
 * Loads torchvision- or timm-named ResNet weights (safetensors) into `model` from a path, a `file:` URL or an
 * http(s) URL. URLs are downloaded once into the weights cache (`~/.cache/cv-js/weights`, see @cv/core's
 * `fetchWeights`) with a progress bar on a terminal (or `onProgress`), and read from there afterwards;
 * nothing is downloaded unless you pass a URL. For the FCN pass `fcn.backbone`.
 *
 * @example
 * // timm's copy of torchvision's ImageNet weights:
 * await loadResNetWeightsFrom(fcn.backbone,
 *   'https://huggingface.co/timm/resnet18.tv_in1k/resolve/main/model.safetensors');
 */
export async function loadResNetWeightsFrom(
  model: ResNet,
  source: string | URL,
  options: ResNetWeightsOptions & FetchWeightsOptions = {},
): Promise<{ loaded: number; fcLoaded: boolean }> {
  const { format, requireFc, ...fetchOptions } = options;
  const parsed = await readWeights(source, fetchOptions);
  return loadResNetWeights(model, parsed, {
    ...(format !== undefined ? { format } : {}),
    ...(requireFc !== undefined ? { requireFc } : {}),
  });
}

/**
 * An `onEpochEnd` hook for `trainFcn` that saves a checkpoint (model state dict, optimizer state, history)
 * to `dir/checkpoint-<epoch>.safetensors` after every epoch, atomically (see @cv/core `saveCheckpoint`).
 */
export function checkpointEveryEpoch(
  dir: string,
  options: { keepLast?: number; onSaved?: (path: string) => void } = {},
): (event: FcnEpochEnd) => Promise<void> {
  return async ({ epoch, model, optimizer, history }) => {
    const state = model.stateDict();
    const opt = optimizer.flatState();
    try {
      const file = await saveCheckpoint(
        dir,
        { epoch, model: state, optimizer: opt, history },
        options.keepLast !== undefined ? { keepLast: options.keepLast } : {},
      );
      options.onSaved?.(file);
    } finally {
      tf.dispose(Object.values(state));
      tf.dispose(Object.values(opt).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
    }
  };
}

/**
 * Restores the newest checkpoint in `dir` into `model` and `optimizer` (as written by `checkpointEveryEpoch`).
 * Returns the epoch to continue from and the history so far (pass them as `trainFcn`'s `startEpoch` and
 * `history`), or undefined when `dir` holds no checkpoint.
 */
export async function resumeFcn(
  model: FCN,
  optimizer: Optimizer,
  dir: string,
): Promise<{ startEpoch: number; history: History } | undefined> {
  const ck = await loadCheckpoint(dir);
  if (!ck) return undefined;
  try {
    model.loadStateDict(ck.model);
    optimizer.loadFlatState(ck.optimizer);
    return { startEpoch: ck.epoch + 1, history: ck.history ?? new History() };
  } finally {
    disposeCheckpoint(ck);
  }
}
