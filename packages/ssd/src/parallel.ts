import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MultiboxTargetOptions } from '@cv/anchors';
import { BatchNorm2d, type Optimizer } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import type { SsdLossOptions } from './loss.js';
import { checkStepInputs, finishStep } from './micro-step.js';
import type {
  FromWorker,
  InitMessage,
  Shard,
  ShardMessage,
  StepMessage,
  WorkerBackend,
} from './parallel-protocol.js';
import { ssdToSafetensors } from './serialize.js';
import { Ssd } from './ssd.js';
import type { SsdStepOptions, SsdStepResult } from './train-step.js';

export type { WorkerBackend } from './parallel-protocol.js';

export interface ParallelTrainerOptions {
  /** Worker threads, each with its own TensorFlow.js backend and a replica of the model. Default 2. */
  workers?: number;
  /** The workers' backend. Default `'wasm'` (tfjs-backend-wasm runs one thread in Node: the workers add more). */
  backend?: WorkerBackend;
  /** Default loss options of every step (a step's own `loss` replaces them). */
  loss?: SsdLossOptions;
  /** Default `multiboxTarget` options of every step (a step's own `target` replaces them). */
  target?: MultiboxTargetOptions;
  /**
   * The worker entry (`parallel-worker.js`, or `.cjs` from the CommonJS build). Default: the file built beside
   * this module in `@cv/ssd`'s `dist`.
   */
  workerUrl?: URL;
}

/** One training step on worker threads; see {@link createParallelTrainer}. */
export interface ParallelTrainer {
  /** Worker threads. */
  readonly workers: number;
  /** Their backend. */
  readonly backend: WorkerBackend;
  /** The worker threads themselves (diagnostics; `close()` ends them). */
  readonly threads: readonly Worker[];
  /**
   * {@link trainStep} with its micro-batches computed on the workers: the same options and result.
   * `options.microBatch` defaults to `⌈B / workers⌉` (one micro-batch per worker).
   */
  step(
    optimizer: Optimizer,
    images: tf.Tensor,
    labels: tf.Tensor,
    options?: SsdStepOptions,
  ): Promise<SsdStepResult>;
  /** Ends the workers (idempotent); a step in flight rejects. */
  close(): Promise<void>;
}

type RunningStatsUpdater = { updateRunningStats(mean: tf.Tensor, biasedVar: tf.Tensor, count: number): void };

function workerEntry(): URL {
  // tsup's CommonJS build shims import.meta.url with the file's own URL (dist/*.cjs).
  const here = import.meta.url;
  return new URL(here.endsWith('.cjs') ? './parallel-worker.cjs' : './parallel-worker.js', here);
}

/**
 * Data-parallel training of an {@link Ssd} on Node worker threads: `trainStep`'s micro-batches run at the same
 * time, one backend per thread (tfjs-backend-wasm is single-threaded in Node; on 2 cores 2 workers nearly
 * double the examples per second). Node only (`@cv/ssd/node`).
 *
 * Each worker rebuilds the model from `ssdToSafetensors(model)` (so `model.config.arch` must be `'tiny-ssd'`;
 * other architectures cannot be rebuilt from their config). Per step the main thread sends every parameter and
 * the micro-batches as host arrays, one micro-batch at a time to whichever worker is free; each worker
 * runs exactly trainStep's micro-batch (forward in training mode, `multiboxTarget`, `calcLoss(...).mean()`
 * times `b / B`, gradients, metrics) and sends back gradients, sums and its BatchNorm batch statistics. The
 * main thread then sums the gradients in micro-batch order (as trainStep does), applies the BatchNorm updates
 * micro-batch after micro-batch with each module's own `updateRunningStats`, runs the NaN guard
 * (`NonFiniteLossError` before the update) and `optimizer.step`.
 *
 * What it equals: `trainStep(model, optimizer, images, labels, { microBatch })` with the same micro-batch size,
 * parameters and BatchNorm buffers included (`running_*` and `num_batches_tracked` see the same updates in
 * the same order), up to differences between the workers' and the main thread's backends (none when both
 * are WASM: the tests find the same loss and parameters). Only `BatchNorm2d` buffers may change in training.
 *
 * A worker error rejects the step with the worker's message; a crashed or exited worker rejects the step
 * and every later one. Call `close()` when done (workers keep the process alive only during a step).
 *
 * @example
 * const trainer = await createParallelTrainer(net, { workers: 2 });
 * try { const r = await trainer.step(sgd, images, labels); } finally { await trainer.close(); }
 */
export async function createParallelTrainer(
  model: Ssd,
  options: ParallelTrainerOptions = {},
): Promise<ParallelTrainer> {
  const fn = 'createParallelTrainer';
  if (!(model instanceof Ssd)) throw new Error(`${fn}: model must be an Ssd (createSsd or tinySsd)`);
  const workers = options.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`${fn}: options.workers must be an integer ≥ 1, got ${workers}`);
  const backend = options.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu')
    throw new Error(
      `${fn}: options.backend must be 'wasm' or 'cpu' (backends a worker thread can start), got '${backend}'`,
    );
  if (model.config.arch !== 'tiny-ssd') {
    throw new Error(
      `${fn}: the workers rebuild the model from its config, which works for 'tiny-ssd' only, got '${model.config.arch}' (train it with trainStep)`,
    );
  }
  const batchNorms = new Map<string, BatchNorm2d>();
  for (const [name, m] of model.namedModules())
    if (m instanceof BatchNorm2d && m.trackRunningStats) batchNorms.set(name, m);
  for (const [name] of model.namedBuffers()) {
    const owner = name.slice(0, name.lastIndexOf('.'));
    if (!batchNorms.has(owner))
      throw new Error(`${fn}: buffer '${name}' is not a BatchNorm2d statistic; the workers cannot update it`);
  }
  const url = options.workerUrl ?? workerEntry();
  if (url.protocol === 'file:' && !existsSync(fileURLToPath(url))) {
    throw new Error(
      `${fn}: the worker entry ${fileURLToPath(url)} does not exist (it is built into @cv/ssd's dist: run the built package, or pass options.workerUrl)`,
    );
  }
  const weights = ssdToSafetensors(model);
  const trainer = new WorkerPool(model, url, workers, backend, batchNorms, options);
  await trainer.start(weights);
  return trainer;
}

interface Pending {
  id: number;
  results: (ShardMessage | undefined)[];
  left: number;
  /** Called with the worker that just returned a result (it may take more work). */
  post: (w: number) => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

class WorkerPool implements ParallelTrainer {
  readonly workers: number;
  readonly backend: WorkerBackend;
  readonly threads: Worker[] = [];
  readonly #model: Ssd;
  readonly #batchNorms: Map<string, BatchNorm2d>;
  readonly #loss?: SsdLossOptions;
  readonly #target?: MultiboxTargetOptions;
  #failure: Error | undefined;
  #closed = false;
  #pending: Pending | undefined;
  #nextId = 0;
  #busy = false;

  constructor(
    model: Ssd,
    url: URL,
    workers: number,
    backend: WorkerBackend,
    batchNorms: Map<string, BatchNorm2d>,
    options: ParallelTrainerOptions,
  ) {
    this.#model = model;
    this.workers = workers;
    this.backend = backend;
    this.#batchNorms = batchNorms;
    if (options.loss) this.#loss = options.loss;
    if (options.target) this.#target = options.target;
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(url);
      worker.on('message', (m: FromWorker) => this.#onMessage(w, m));
      worker.on('error', (err) =>
        this.#fail(new Error(`worker ${w} crashed: ${err?.message ?? String(err)}`)),
      );
      worker.on('messageerror', (err) =>
        this.#fail(new Error(`worker ${w}: unreadable message: ${err.message}`)),
      );
      worker.on('exit', (code) => {
        if (!this.#closed) this.#fail(new Error(`worker ${w} exited (code ${code})`));
      });
      this.threads.push(worker);
    }
  }

  /** Starts the workers' backends and models; rejects (and ends every worker) if one fails. */
  async start(weights: Uint8Array): Promise<void> {
    try {
      await this.#run(-1, this.workers, (w) => {
        const msg: InitMessage = { type: 'init', weights: weights.slice(), backend: this.backend };
        this.threads[w]!.postMessage(msg, [msg.weights.buffer as ArrayBuffer]);
      });
    } catch (err) {
      await this.close();
      throw new Error(`createParallelTrainer: starting the workers failed: ${(err as Error).message}`);
    }
  }

  #onMessage(w: number, m: FromWorker): void {
    const p = this.#pending;
    if (m.type === 'ready') {
      if (!p || p.id !== -1) return;
      const mine = this.#model
        .namedParameters()
        .map(([n, v]) => `${n}[${v.shape}]`)
        .join(',');
      const theirs = m.params.map(([n, s]) => `${n}[${s}]`).join(',');
      if (mine !== theirs) {
        p.reject(new Error(`worker ${w} rebuilt a model with other parameters (${theirs}) than ${mine}`));
        return;
      }
      const bns = [...this.#batchNorms.keys()].join(',');
      if (m.batchNorms.join(',') !== bns) {
        p.reject(new Error(`worker ${w} rebuilt other BatchNorm modules (${m.batchNorms}) than ${bns}`));
        return;
      }
      if (--p.left === 0) p.resolve();
      return;
    }
    if (!p || m.id !== p.id) return; // a stale message of a step that already failed
    if (m.type === 'error') {
      const where = m.index === undefined ? '' : `, micro-batch ${m.index}`;
      p.reject(new Error(`worker ${w}${where}: ${m.message}`));
      return;
    }
    p.results[m.index] = m;
    if (--p.left === 0) p.resolve();
    else p.post(w);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    this.#pending?.reject(err);
  }

  /**
   * Calls `post(w)` for the first `workers` workers, and again for a worker each time it returns a result; waits
   * for `count` results (or the first error).
   */
  async #run(
    id: number,
    count: number,
    post: (w: number) => void,
    workers = this.workers,
  ): Promise<(ShardMessage | undefined)[]> {
    if (this.#failure) throw this.#failure;
    const results: (ShardMessage | undefined)[] = new Array(id < 0 ? 0 : count);
    const done = new Promise<void>((resolve, reject) => {
      this.#pending = { id, results, left: count, post, resolve, reject };
    });
    // Workers keep the process alive only while they are working for it.
    for (const t of this.threads) t.ref();
    try {
      for (let w = 0; w < workers; w++) post(w);
      await done;
      return results;
    } finally {
      this.#pending = undefined;
      for (const t of this.threads) t.unref();
    }
  }

  async step(
    optimizer: Optimizer,
    images: tf.Tensor,
    labels: tf.Tensor,
    options: SsdStepOptions = {},
  ): Promise<SsdStepResult> {
    const fn = 'ParallelTrainer.step';
    if (this.#closed) throw new Error(`${fn}: the trainer is closed`);
    if (this.#failure) throw new Error(`${fn}: ${this.#failure.message}`);
    if (this.#busy) throw new Error(`${fn}: a step is already running (await it first)`);
    checkStepInputs(fn, images, labels);
    const start = performance.now();
    const batch = images.shape[0]!;
    const micro = options.microBatch ?? Math.ceil(batch / this.workers);
    if (!Number.isInteger(micro) || micro < 1)
      throw new Error(`${fn}: options.microBatch must be an integer ≥ 1, got ${micro}`);
    this.#busy = true;
    const model = this.#model;
    model.train();
    const params = model.parameters();
    let grads: Record<string, tf.Tensor> = {};
    const sums: tf.Tensor[] = [];
    try {
      const [imageValues, labelValues, ...paramValues] = (await Promise.all([
        images.data(),
        labels.data(),
        ...params.map((p) => p.data()),
      ])) as Float32Array[];
      const flat = new Float32Array(params.reduce((n, p) => n + p.size, 0));
      let at = 0;
      for (const v of paramValues) {
        flat.set(v!, at);
        at += v!.length;
      }
      const [, h, w, c] = images.shape as [number, number, number, number];
      const rows = labels.shape[1]!;
      const perImage = h * w * c;
      const shards: Shard[] = [];
      for (let s0 = 0, count = 0; s0 < batch; s0 += micro, count++) {
        const size = Math.min(micro, batch - s0);
        shards.push({
          index: count,
          images: imageValues!.slice(s0 * perImage, (s0 + size) * perImage),
          imageShape: [size, h, w, c],
          labels: labelValues!.slice(s0 * rows * 5, (s0 + size) * rows * 5),
          rows,
          scale: size === batch ? 1 : size / batch,
        });
      }
      const loss = options.loss ?? this.#loss;
      const target = options.target ?? this.#target;
      const id = this.#nextId++;
      const used = Math.min(this.workers, shards.length);
      // Micro-batches go out one at a time, the next to whichever worker returns one first (a worker slowed by
      // other work on its core takes fewer); the result does not depend on which worker computes which.
      let next = 0;
      const primed = new Set<number>(); // workers that have this step's parameters
      let results: (ShardMessage | undefined)[];
      try {
        results = await this.#run(
          id,
          shards.length,
          (wi) => {
            if (next >= shards.length) return;
            const shard = shards[next++]!;
            const first = !primed.has(wi);
            primed.add(wi);
            const msg: StepMessage = {
              type: 'step',
              id,
              ...(first ? { params: primed.size === used ? flat : flat.slice() } : {}),
              shard,
              ...(loss ? { loss } : {}),
              ...(target ? { target } : {}),
            };
            const transfer = [shard.images.buffer, shard.labels.buffer];
            if (msg.params) transfer.push(msg.params.buffer);
            this.threads[wi]!.postMessage(msg, transfer as ArrayBuffer[]);
          },
          used,
        );
      } catch (err) {
        throw new Error(`${fn}: ${(err as Error).message}`);
      }
      // Gradients summed in micro-batch order, exactly as trainStep accumulates them.
      const shapes = params.map((p) => p.shape);
      let targetMs = 0;
      let n = 0;
      for (const r of results as ShardMessage[]) {
        targetMs += r.targetMs;
        n = r.anchors;
        sums.push(tf.tensor1d(r.sums, 'float32'));
        const g: Record<string, tf.Tensor> = {};
        let o = 0;
        const missing = new Set(r.missing);
        params.forEach((p, i) => {
          if (!missing.has(i)) g[p.name] = tf.tensor(r.grads.subarray(o, o + p.size), shapes[i], 'float32');
          o += p.size;
        });
        if (Object.keys(grads).length === 0) grads = g;
        else {
          const next: Record<string, tf.Tensor> = {};
          for (const [k, v] of Object.entries(g)) next[k] = grads[k] ? tf.add(grads[k]!, v) : tf.clone(v);
          for (const [k, v] of Object.entries(grads)) next[k] ??= tf.clone(v);
          tf.dispose([...Object.values(grads), ...Object.values(g)]);
          grads = next;
        }
      }
      // BatchNorm running statistics: each module's own update, micro-batch after micro-batch (trainStep's order).
      for (const r of results as ShardMessage[]) {
        for (const u of r.batchNorm) {
          const bn = this.#batchNorms.get(u.module);
          if (!bn) throw new Error(`${fn}: a worker updated an unknown BatchNorm module '${u.module}'`);
          const mean = tf.tensor1d(u.mean, 'float32');
          const variance = tf.tensor1d(u.variance, 'float32');
          try {
            (bn as unknown as RunningStatsUpdater).updateRunningStats(mean, variance, u.count);
          } finally {
            tf.dispose([mean, variance]);
          }
        }
      }
      return await finishStep(optimizer, grads, sums, {
        batch,
        anchors: n,
        targetMs,
        start,
        position: options.position,
      });
    } finally {
      tf.dispose([...sums, ...Object.values(grads)]);
      this.#busy = false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending?.reject(new Error('the trainer was closed'));
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
