// Messages between createParallelTrainer (main thread) and its worker threads (parallel-worker.ts). Internal.
import type { MultiboxTargetOptions } from '@cv/anchors';
import type { SsdLossOptions } from './loss.js';

export type WorkerBackend = 'wasm' | 'cpu';

/** Main → worker, once: the model as safetensors bytes (config in the metadata) and the backend to start. */
export interface InitMessage {
  type: 'init';
  weights: Uint8Array;
  backend: WorkerBackend;
}

/** One micro-batch: host values of its images `[b, H, W, C]` and labels `[b, rows, 5]`, and its loss weight. */
export interface Shard {
  index: number;
  images: Float32Array;
  imageShape: [number, number, number, number];
  labels: Float32Array;
  rows: number;
  /** `b / batch`: the micro-batch's share of the batch mean. */
  scale: number;
}

/**
 * Main → worker, one per micro-batch: the shard and, in the first message of a step to this worker, every
 * parameter (concatenated in `parameters()` order).
 */
export interface StepMessage {
  type: 'step';
  id: number;
  params?: Float32Array;
  shard: Shard;
  loss?: SsdLossOptions;
  target?: MultiboxTargetOptions;
}

/** Worker → main after init: its parameters' names and shapes and its tracked BatchNorm modules (checked). */
export interface ReadyMessage {
  type: 'ready';
  params: Array<[string, number[]]>;
  batchNorms: string[];
}

/** One BatchNorm update the forward pass asked for (module name, batch mean, biased variance, values/channel). */
export interface BatchNormUpdate {
  module: string;
  mean: Float32Array;
  variance: Float32Array;
  count: number;
}

/** Worker → main, per shard. */
export interface ShardMessage {
  type: 'shard';
  id: number;
  index: number;
  /** Gradients of every parameter concatenated in `parameters()` order (zeros where `missing`). */
  grads: Float32Array;
  /** Indices of the parameters that received no gradient. */
  missing: number[];
  /** `[scale · mean loss, correct anchors, sum of masked absolute offset errors]`. */
  sums: [number, number, number];
  anchors: number;
  targetMs: number;
  batchNorm: BatchNormUpdate[];
}

/** Worker → main: a step (id ≥ 0, on shard `index`) or the init (id −1) failed. */
export interface ErrorMessage {
  type: 'error';
  id: number;
  index?: number;
  message: string;
}

export type ToWorker = InitMessage | StepMessage;
export type FromWorker = ReadyMessage | ShardMessage | ErrorMessage;
