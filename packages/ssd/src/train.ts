import type { MultiboxTargetOptions } from '@cv/anchors';
import {
  CosineAnnealingLR,
  disposeCheckpoint,
  epochSeed,
  History,
  type HistoryRecord,
  loadCheckpoint,
  type Optimizer,
  type OptimizerStateDict,
  type ProgressCallback,
  ProgressReporter,
  Rng,
  SGD,
  saveCheckpoint,
} from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { flipDetectionBatch } from './augment.js';
import { type EvaluateSsdOptions, evaluateSsd, type SsdEvaluation, unpackBatch } from './evaluate.js';
import type { SsdLossOptions } from './loss.js';
import { createParallelTrainer, type ParallelTrainer, type WorkerBackend } from './parallel.js';
import type { Ssd } from './ssd.js';
import { trainStep } from './train-step.js';

export interface TrainSsdOptions {
  /** Epochs to train (the last epoch number, when resuming). */
  epochs: number;
  /** SGD learning rate. Default 0.2 (the seed's). */
  lr?: number;
  /** SGD weight decay (PyTorch's: added to the gradient). Default 5e-4 (the seed's). */
  weightDecay?: number;
  /** SGD momentum. Default 0 (the seed's). */
  momentum?: number;
  /** Your own optimizer over `model.namedParameters()` (then lr, weightDecay and momentum are unused). */
  optimizer?: Optimizer;
  /**
   * Learning-rate schedule over the epochs. `'constant'` (default, the seed's) keeps the optimizer's lr;
   * `'cosine'` anneals it as PyTorch's `CosineAnnealingLR(T_max = epochs)` stepped after every epoch: epoch e
   * trains at lr·(1 + cos(π(e − 1)/epochs))/2. A resume continues the schedule at the resumed epoch.
   */
  schedule?: 'constant' | 'cosine';
  /** Loss options (hard-negative mining, smooth L1, …; the seed's loss by default). */
  loss?: SsdLossOptions;
  /** Anchor labelling options (`multiboxTarget`). */
  target?: MultiboxTargetOptions;
  /** Augmentation: `flip` flips each training image left-right with probability 0.5 (seeded by `seed`). */
  augment?: { flip?: boolean; seed?: number };
  /** Validation batches: VOC AP@0.5, class error and box MAE after each `evalEvery`-th epoch and the last. */
  valLoader?: AsyncIterable<unknown>;
  /** Evaluate every this many epochs (and after the last). Default 1. */
  evalEvery?: number;
  /** Options of the validation (`evaluateSsd`). */
  evaluate?: EvaluateSsdOptions;
  /** Called after each epoch with its history record (after the checkpoint is written). */
  onEpoch?: (
    record: HistoryRecord,
    state: { model: Ssd; history: History; evaluation?: SsdEvaluation },
  ) => void | Promise<void>;
  /** Progress events (pass `new ProgressBar().callback` from `@cv/core` for a terminal bar). */
  onProgress?: ProgressCallback;
  /** Write `checkpoint-<epoch>.safetensors` here after every epoch (model, optimizer, history). */
  checkpointDir?: string;
  /** Continue from the newest checkpoint in `checkpointDir` (if any). Default false. */
  resume?: boolean;
  /** Gradient accumulation over chunks of this many images (see `SsdStepOptions.microBatch`). Default: none. */
  microBatch?: number;
  /** Keep only the newest checkpoints. Default 2. */
  keepLast?: number;
  /**
   * Train on this many worker threads (`createParallelTrainer`: each runs micro-batches on its own backend;
   * tfjs-backend-wasm is single-threaded in Node). Default 1: the calling thread (`trainStep`). With more,
   * `microBatch` defaults to ⌈batch / workers⌉ and the model must be a TinySSD (the workers rebuild it).
   */
  workers?: number;
  /** The workers' backend. Default `'wasm'`. */
  workerBackend?: WorkerBackend;
  /** Where messages go (the worker announcement). Default `console.info`. */
  log?: (message: string) => void;
}

export interface TrainSsdResult {
  history: History;
  /** The first epoch this call ran (> 1 after a resume) and the last. */
  firstEpoch: number;
  lastEpoch: number;
  /** Training examples per second over the epochs this call ran (training steps and data loading only). */
  examplesPerSecond: number;
  /** Where the time of the training epochs went, in milliseconds. */
  profile: { steps: number; stepMs: number; targetMs: number; dataMs: number; totalMs: number };
  /** The last validation. */
  evaluation?: SsdEvaluation;
  /** Threads that computed the training steps (1: the calling thread). */
  workers: number;
}

const OPT_PREFIX = '__optimizer__/';

function optimizerToCheckpoint(opt: Optimizer): { tensors: Record<string, tf.Tensor>; json: unknown } {
  const sd = opt.stateDict();
  const tensors: Record<string, tf.Tensor> = {};
  const numbers: Record<string, Record<string, number>> = {};
  for (const [key, st] of Object.entries(sd.state)) {
    for (const [name, v] of Object.entries(st)) {
      if (v instanceof tf.Tensor) tensors[`${OPT_PREFIX}${key}/${name}`] = v;
      else {
        numbers[key] ??= {};
        numbers[key][name] = v;
      }
    }
  }
  return { tensors, json: { type: sd.type, options: sd.options, numbers } };
}

function optimizerFromCheckpoint(model: Record<string, tf.Tensor>, json: unknown): OptimizerStateDict {
  const j = json as {
    type: string;
    options: OptimizerStateDict['options'];
    numbers: Record<string, Record<string, number>>;
  };
  const state: OptimizerStateDict['state'] = {};
  for (const [k, v] of Object.entries(model)) {
    if (!k.startsWith(OPT_PREFIX)) continue;
    const rest = k.slice(OPT_PREFIX.length);
    const cut = rest.lastIndexOf('/');
    const key = rest.slice(0, cut);
    state[key] ??= {};
    state[key][rest.slice(cut + 1)] = v;
  }
  for (const [key, nums] of Object.entries(j.numbers ?? {})) {
    state[key] ??= {};
    Object.assign(state[key], nums);
  }
  return { type: j.type, options: j.options, state };
}

/**
 * The seed's training loop (d2l §13.7.2.3) for any {@link Ssd}: per batch `trainStep` (forward,
 * `multiboxTarget`, `calcLoss(...).mean()`, SGD with weight decay); per epoch d2l's class error and box MAE
 * on the training batches (measured before each update, as the seed), the mean loss, and with `valLoader`
 * VOC AP@0.5 (`evaluateSsd`); a `History` of those; checkpoints (atomic, with optimizer state and history) and
 * resume that continues exactly; a NaN guard (`NonFiniteLossError`, no checkpoint written). The loader's batches
 * are `{ images, labels }` or `[images, labels]` and are disposed here. Node only (checkpoint files).
 *
 * @example
 * const [train, val] = await loadDataBananas(32, { dir });
 * const bar = new ProgressBar();
 * const { history } = await trainSsd(tinySsd(), train, { epochs: 20, valLoader: val, onProgress: bar.callback });
 */
export async function trainSsd(
  model: Ssd,
  trainLoader: AsyncIterable<unknown>,
  options: TrainSsdOptions,
): Promise<TrainSsdResult> {
  const fn = 'trainSsd';
  const {
    epochs,
    lr = 0.2,
    weightDecay = 5e-4,
    momentum = 0,
    evalEvery = 1,
    keepLast = 2,
    workers = 1,
    schedule = 'constant',
  } = options ?? ({} as TrainSsdOptions);
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new Error(`${fn}: options.epochs must be an integer ≥ 1, got ${epochs}`);
  if (!Number.isInteger(evalEvery) || evalEvery < 1)
    throw new Error(`${fn}: options.evalEvery must be an integer ≥ 1, got ${evalEvery}`);
  if (!trainLoader || typeof (trainLoader as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
    throw new Error(`${fn}: trainLoader must be an async iterable of batches (a @cv/core DataLoader)`);
  }
  if (options.resume && !options.checkpointDir)
    throw new Error(`${fn}: options.resume needs options.checkpointDir`);
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`${fn}: options.workers must be an integer ≥ 1, got ${workers}`);
  if (schedule !== 'constant' && schedule !== 'cosine')
    throw new Error(
      `${fn}: options.schedule must be 'constant' or 'cosine', got ${JSON.stringify(schedule)}`,
    );
  const optimizer =
    options.optimizer ?? new SGD(Object.fromEntries(model.namedParameters()), { lr, weightDecay, momentum });
  const ownsOptimizer = !options.optimizer;
  // The scheduler's base lr is the optimizer's lr at epoch 1: after a resume the restored lr is the annealed
  // one, so take the base from options (or the user's optimizer as given) before loading the checkpoint.
  const scheduler = schedule === 'cosine' ? new CosineAnnealingLR(optimizer, { tMax: epochs }) : undefined;
  let history = new History();
  let first = 1;
  if (options.resume && options.checkpointDir) {
    const ck = await loadCheckpoint(options.checkpointDir);
    if (ck) {
      try {
        const weights = Object.fromEntries(
          Object.entries(ck.model).filter(([k]) => !k.startsWith(OPT_PREFIX)),
        );
        model.loadStateDict(weights);
        optimizer.loadStateDict(optimizerFromCheckpoint(ck.model, ck.extra?.optimizer));
        history = ck.history ?? history;
        first = ck.epoch + 1;
      } finally {
        disposeCheckpoint(ck);
      }
    }
  }
  const loader = trainLoader as AsyncIterable<unknown> & { setEpoch?: (e: number) => void; length?: number };
  const progress = new ProgressReporter(options.onProgress, { epochs });
  const profile = { steps: 0, stepMs: 0, targetMs: 0, dataMs: 0, totalMs: 0 };
  let examples = 0;
  let evaluation: SsdEvaluation | undefined;
  let warned = false;
  let parallel: ParallelTrainer | undefined;
  try {
    if (workers > 1) {
      parallel = await createParallelTrainer(model, {
        workers,
        backend: options.workerBackend ?? 'wasm',
      });
      (options.log ?? console.info)(`${fn}: training on ${workers} worker threads (${parallel.backend})`);
    }
    for (let epoch = first; epoch <= epochs; epoch++) {
      loader.setEpoch?.(epoch - 1); // the shuffle of epoch e, also after a resume
      scheduler?.step(epoch - 1); // closed form: the lr of epoch e, also after a resume
      const rng = options.augment?.flip ? new Rng(epochSeed(options.augment.seed ?? 0, epoch)) : undefined;
      progress.startEpoch(epoch, typeof loader.length === 'number' ? loader.length : undefined);
      const epochStart = performance.now();
      let lossSum = 0;
      let n = 0;
      let correct = 0;
      let anchors = 0;
      let absErr = 0;
      let entries = 0;
      let step = 0;
      const it = loader[Symbol.asyncIterator]();
      try {
        for (;;) {
          const t0 = performance.now();
          const next = await it.next();
          profile.dataMs += performance.now() - t0;
          if (next.done) break;
          let [images, labels] = unpackBatch(fn, next.value);
          step++;
          try {
            if (rng) {
              const flip = Array.from({ length: images.shape[0] }, () => rng.next() < 0.5);
              const [fi, fl] = flipDetectionBatch(images, labels, flip);
              tf.dispose([images, labels]);
              [images, labels] = [fi, fl];
            }
            const heapIsWasm = parallel ? parallel.backend === 'wasm' : tf.getBackend() === 'wasm';
            if (!warned && !options.microBatch && heapIsWasm) {
              const [batch, h, w] = images.shape;
              const b = Math.ceil(batch / workers); // images per WASM heap
              if (b * h * w > 16 * 256 * 256) {
                warned = true;
                console.warn(
                  `${fn}: ${b} images of ${h}x${w} per step and thread may not fit the WASM heap (4 GB; TinySSD fits about 16 of 256x256). If the process aborts, pass microBatch: 8.`,
                );
              }
            }
            const stepOptions = {
              loss: options.loss,
              target: options.target,
              ...(options.microBatch ? { microBatch: options.microBatch } : {}),
              position: { epoch, step, steps: loader.length, learningRate: optimizer.lr },
            };
            const r = parallel
              ? await parallel.step(optimizer, images, labels, stepOptions)
              : await trainStep(model, optimizer, images, labels, stepOptions);
            const b = images.shape[0];
            lossSum += r.loss * b;
            n += b;
            correct += r.correct;
            anchors += r.anchors;
            absErr += r.absError;
            entries += r.boxEntries;
            profile.steps++;
            profile.stepMs += r.stepMs;
            profile.targetMs += r.targetMs;
            progress.step(b, {
              loss: lossSum / n,
              'class err': 1 - correct / anchors,
              'bbox mae': absErr / entries,
            });
          } finally {
            tf.dispose([images, labels]);
          }
        }
      } finally {
        await it.return?.();
      }
      profile.totalMs += performance.now() - epochStart;
      examples += n;
      if (n === 0) throw new Error(`${fn}: the training loader yielded no batch in epoch ${epoch}`);
      const metrics: Record<string, number> = {
        'train loss': lossSum / n,
        'class err': 1 - correct / anchors,
        'bbox mae': absErr / entries,
      };
      evaluation = undefined;
      if (options.valLoader && (epoch % evalEvery === 0 || epoch === epochs)) {
        evaluation = await evaluateSsd(model, options.valLoader, options.evaluate);
        metrics['val AP@0.5'] = evaluation.ap;
        metrics['val class err'] = evaluation.classError;
        metrics['val bbox mae'] = evaluation.bboxMae;
      }
      const record = history.record(epoch, metrics);
      progress.endEpoch(metrics);
      if (options.checkpointDir) {
        const weights = model.stateDict();
        const opt = optimizerToCheckpoint(optimizer);
        try {
          await saveCheckpoint(
            options.checkpointDir,
            {
              epoch,
              model: { ...weights, ...opt.tensors },
              history,
              extra: { optimizer: opt.json, config: model.config },
            },
            { keepLast },
          );
        } finally {
          tf.dispose([...Object.values(weights), ...Object.values(opt.tensors)]);
        }
      }
      await options.onEpoch?.(record, { model, history, ...(evaluation ? { evaluation } : {}) });
    }
  } finally {
    await parallel?.close();
    if (ownsOptimizer) optimizer.dispose();
  }
  return {
    history,
    firstEpoch: first,
    lastEpoch: epochs,
    examplesPerSecond: profile.totalMs > 0 ? examples / (profile.totalMs / 1000) : 0,
    profile,
    ...(evaluation ? { evaluation } : {}),
    workers,
  };
}
