import { checkFinite, History, type Optimizer, type ProgressCallback, ProgressReporter, SGD } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import type { FCN } from './fcn.js';
import { checkSegmentationPair, fcnLoss, IGNORE_INDEX } from './loss.js';
import { SegmentationMetric, type SegmentationScores } from './metrics.js';

/** A batch: `[images, labels]` (what `loadDataVoc`'s loaders yield) or `{ images, labels }`. */
export type SegmentationBatch = [tf.Tensor, tf.Tensor] | { images: tf.Tensor; labels: tf.Tensor };

/** Batches of ImageNet-normalized images `[B, h, w, 3]` and labels `[B, h, w]` (255 = ignore). */
export type SegmentationLoader = (AsyncIterable<SegmentationBatch> | Iterable<SegmentationBatch>) & {
  /** Batches per epoch, when known (a @cv/core `DataLoader` has it): shown by the progress bar. */
  readonly length?: number;
};

function unpack(where: string, batch: SegmentationBatch): [tf.Tensor, tf.Tensor] {
  if (Array.isArray(batch) && batch.length >= 2) return [batch[0], batch[1]];
  const b = batch as { images?: tf.Tensor; labels?: tf.Tensor };
  if (b && b.images instanceof tf.Tensor && b.labels instanceof tf.Tensor) return [b.images, b.labels];
  throw new Error(`${where}: a batch must be [images, labels] or { images, labels }`);
}

/** What one training step measured. */
export interface StepResult {
  /** The step's loss: the sum over the batch of per-image mean pixel losses (see `fcnLoss`). */
  loss: number;
  /** Correctly classified labelled pixels. */
  correct: number;
  /** Labelled pixels (label ≠ ignore). */
  pixels: number;
}

export interface TrainStepOptions {
  /** Default 255. */
  ignoreIndex?: number;
  /**
   * Compute the gradients in chunks of this many images and add them up before the one optimizer step
   * (gradient accumulation): the loss and gradients are the full batch's, except that BatchNorm normalizes
   * (and updates its running statistics) per chunk. For batches whose backward pass does not fit in memory
   * (WASM's heap is 4 GB; a 320x480 image needs about 1 GB). Default: the whole batch at once.
   */
  microBatch?: number;
}

/** Correct and labelled pixel counts `[2]` of one chunk (kept out of the gradient's tidy scope). */
function pixelCounts(logits: tf.Tensor, labels: tf.Tensor, ignoreIndex: number): tf.Tensor {
  return tf.keep(
    tf.tidy(() => {
      const y = tf.cast(labels, 'int32');
      const valid = tf.notEqual(y, ignoreIndex);
      const hit = tf.logicalAnd(valid, tf.equal(tf.argMax(logits, 3), y));
      return tf.stack([tf.sum(tf.cast(hit, 'float32')), tf.sum(tf.cast(valid, 'float32'))]);
    }),
  );
}

/**
 * One optimization step on one batch: forward in the model's current mode, `fcnLoss`, gradients of the
 * optimizer's parameters, `optimizer.step` (with `microBatch`, the gradients of the chunks are summed first).
 * Leaves no tensor behind (except optimizer state created on the first step, e.g. momentum buffers). The
 * batch is not disposed.
 */
export async function trainStep(
  model: FCN,
  optimizer: Optimizer,
  images: tf.Tensor,
  labels: tf.Tensor,
  options: TrainStepOptions = {},
): Promise<StepResult> {
  const ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  const n = images.shape[0] ?? 0;
  const chunk = options.microBatch ?? n;
  if (!Number.isInteger(chunk) || chunk < 1)
    throw new Error(
      `trainStep: options.microBatch must be an integer ≥ 1, got ${String(options.microBatch)}`,
    );
  if (chunk >= n) {
    let counts: tf.Tensor | undefined;
    const loss = optimizer.minimize(() => {
      const logits = model.apply(images);
      checkSegmentationPair('trainStep', logits, labels);
      counts = pixelCounts(logits, labels, ignoreIndex);
      return fcnLoss(logits, labels, { ignoreIndex });
    }, true);
    try {
      const [l, c] = await Promise.all([loss.data(), counts!.data()]);
      return { loss: l[0]!, correct: c[0]!, pixels: c[1]! };
    } finally {
      tf.dispose([loss, counts!]);
    }
  }
  const vars = optimizer.parameters.map((p) => p.variable);
  const sum: Record<string, tf.Tensor> = {};
  const result: StepResult = { loss: 0, correct: 0, pixels: 0 };
  try {
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      const x = tf.slice(images, start, size);
      const y = tf.slice(labels, start, size);
      let counts: tf.Tensor | undefined;
      try {
        const { value, grads } = tf.variableGrads(() => {
          const logits = model.apply(x);
          checkSegmentationPair('trainStep', logits, y);
          counts = pixelCounts(logits, y, ignoreIndex);
          return fcnLoss(logits, y, { ignoreIndex });
        }, vars);
        for (const [name, g] of Object.entries(grads)) {
          const prev = sum[name];
          sum[name] = prev ? tf.add(prev, g) : g;
          if (prev) tf.dispose([prev, g]);
        }
        const [l, c] = await Promise.all([value.data(), counts!.data()]);
        value.dispose();
        result.loss += l[0]!;
        result.correct += c[0]!;
        result.pixels += c[1]!;
      } finally {
        tf.dispose([x, y, ...(counts ? [counts] : [])]);
      }
    }
    optimizer.step(sum);
  } finally {
    tf.dispose(Object.values(sum));
  }
  return result;
}

/**
 * Pixel accuracy and mean IoU of `model` (in eval mode; its mode is restored) on every batch of `loader`.
 * Batches are disposed after use.
 */
export async function evaluateFcn(
  model: FCN,
  loader: SegmentationLoader,
  options: { ignoreIndex?: number; maxBatches?: number } = {},
): Promise<SegmentationScores> {
  const metric = new SegmentationMetric(model.numClasses, options);
  const wasTraining = model.training;
  model.eval();
  let n = 0;
  try {
    for await (const batch of loader) {
      const [x, y] = unpack('evaluateFcn', batch);
      try {
        const logits = model.apply(x);
        try {
          await metric.update(logits, y);
        } finally {
          logits.dispose();
        }
        n++;
      } finally {
        tf.dispose([x, y]);
      }
      if (options.maxBatches !== undefined && n >= options.maxBatches) break;
    }
  } finally {
    model.train(wasTraining);
  }
  return metric.compute();
}

/** What `onEpochEnd` receives. */
export interface FcnEpochEnd {
  epoch: number;
  epochs: number;
  /** This epoch's metrics (`loss`, `train_acc`, and with a `valLoader` `val_acc`, `val_miou`). */
  metrics: Record<string, number>;
  model: FCN;
  optimizer: Optimizer;
  history: History;
}

export interface TrainFcnOptions {
  /** Default 5 (the seed's). */
  epochs?: number;
  /** Default 1e-3 (the seed's). */
  lr?: number;
  /** L2 penalty added to the gradient as `torch.optim.SGD(weight_decay=…)`. Default 1e-3 (the seed's). */
  weightDecay?: number;
  /** SGD momentum. Default 0 (the seed's plain SGD). */
  momentum?: number;
  /** Use this optimizer instead of `SGD(lr, momentum, weightDecay)` (e.g. one restored from a checkpoint). */
  optimizer?: Optimizer;
  /** Validation batches: pixel accuracy and mean IoU after every epoch. */
  valLoader?: SegmentationLoader;
  /** Validate on at most this many batches per epoch. Default: all. */
  valBatches?: number;
  /** End an epoch after this many training batches. Default: all. */
  stepsPerEpoch?: number;
  /** The first epoch to run (1-based; resume after a checkpoint). Default 1. */
  startEpoch?: number;
  /** The history to append to (resume). Default: a new one. */
  history?: History;
  /** Per-step and per-epoch progress (pass a @cv/core `ProgressBar`'s `callback`). */
  onProgress?: ProgressCallback;
  /** Called after each epoch's validation (save a checkpoint, a plot…); awaited. */
  onEpochEnd?: (event: FcnEpochEnd) => void | Promise<void>;
  /** Default 255. */
  ignoreIndex?: number;
  /** Gradient accumulation over chunks of this many images (see `trainStep`). Default: whole batches. */
  microBatch?: number;
}

function checkPositive(name: string, v: number, integer: boolean, min = 0): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
    throw new Error(
      `trainFcn: options.${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(v)}`,
    );
}

/**
 * d2l's `train_ch13` for the FCN (13.11.4): `epochs` passes over `trainLoader` with SGD (the seed's
 * `lr = 1e-3`, `weight_decay = 1e-3`), the loss of `fcnLoss` (per-image pixel mean, summed over the batch,
 * 255 ignored), the model in training mode (BatchNorm batch statistics); after each epoch, with a
 * `valLoader`, pixel accuracy and mean IoU in eval mode. Every batch is disposed after its step; a step
 * leaves no tensor behind. A non-finite loss stops training with `NonFiniteLossError`.
 *
 * Metrics per epoch (in the returned `History`): `loss` (per example, as d2l prints it), `train_acc` (pixel
 * accuracy of the training batches, taken before each step), `val_acc`, `val_miou`.
 */
export async function trainFcn(
  model: FCN,
  trainLoader: SegmentationLoader,
  options: TrainFcnOptions = {},
): Promise<{ history: History; optimizer: Optimizer }> {
  const epochs = options.epochs ?? 5;
  const lr = options.lr ?? 1e-3;
  const weightDecay = options.weightDecay ?? 1e-3;
  const momentum = options.momentum ?? 0;
  const startEpoch = options.startEpoch ?? 1;
  checkPositive('epochs', epochs, true, 1);
  checkPositive('lr', lr, false);
  checkPositive('weightDecay', weightDecay, false);
  checkPositive('momentum', momentum, false);
  checkPositive('startEpoch', startEpoch, true, 1);
  if (options.stepsPerEpoch !== undefined) checkPositive('stepsPerEpoch', options.stepsPerEpoch, true, 1);
  if (
    !trainLoader ||
    (typeof (trainLoader as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function' &&
      typeof (trainLoader as Iterable<unknown>)[Symbol.iterator] !== 'function')
  )
    throw new Error('trainFcn: trainLoader must be an iterable of [images, labels] batches');
  const optimizer =
    options.optimizer ?? new SGD(Object.fromEntries(model.namedParameters()), { lr, momentum, weightDecay });
  const history = options.history ?? new History();
  const reporter = new ProgressReporter(options.onProgress, { epochs });
  const known = typeof trainLoader.length === 'number' ? trainLoader.length : undefined;
  const steps =
    options.stepsPerEpoch !== undefined && known !== undefined
      ? Math.min(known, options.stepsPerEpoch)
      : (options.stepsPerEpoch ?? known);

  for (let epoch = startEpoch; epoch <= epochs; epoch++) {
    model.train();
    reporter.startEpoch(epoch, steps);
    let lossSum = 0;
    let examples = 0;
    let correct = 0;
    let pixels = 0;
    let step = 0;
    for await (const batch of trainLoader) {
      const [x, y] = unpack('trainFcn', batch);
      try {
        const r = await trainStep(model, optimizer, x, y, {
          ...(options.ignoreIndex !== undefined ? { ignoreIndex: options.ignoreIndex } : {}),
          ...(options.microBatch !== undefined ? { microBatch: options.microBatch } : {}),
        });
        step++;
        checkFinite(r.loss, { epoch, step, ...(steps !== undefined ? { steps } : {}) });
        lossSum += r.loss;
        examples += x.shape[0]!;
        correct += r.correct;
        pixels += r.pixels;
        reporter.step(x.shape[0]!, {
          loss: lossSum / examples,
          train_acc: pixels > 0 ? correct / pixels : 0,
        });
      } finally {
        tf.dispose([x, y]);
      }
      if (options.stepsPerEpoch !== undefined && step >= options.stepsPerEpoch) break;
    }
    if (step === 0) throw new Error(`trainFcn: epoch ${epoch} had no training batch`);
    const metrics: Record<string, number> = {
      loss: lossSum / examples,
      train_acc: pixels > 0 ? correct / pixels : 0,
    };
    if (options.valLoader) {
      const scores = await evaluateFcn(model, options.valLoader, {
        ...(options.ignoreIndex !== undefined ? { ignoreIndex: options.ignoreIndex } : {}),
        ...(options.valBatches !== undefined ? { maxBatches: options.valBatches } : {}),
      });
      if (Number.isFinite(scores.pixelAccuracy)) metrics.val_acc = scores.pixelAccuracy;
      if (Number.isFinite(scores.meanIoU)) metrics.val_miou = scores.meanIoU;
    }
    history.record(epoch, metrics);
    reporter.endEpoch(metrics);
    await options.onEpochEnd?.({ epoch, epochs, metrics, model, optimizer, history });
  }
  model.train();
  return { history, optimizer };
}
