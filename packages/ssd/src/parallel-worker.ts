// The worker-thread entry of createParallelTrainer (parallel.ts): started by it, never imported. It rebuilds
// the model from safetensors bytes, then for each step loads the parameters it is sent and runs trainStep's
// micro-batch body (microStep) on each of its shards, sending back gradients, loss and metric sums and the
// BatchNorm statistics the forward pass computed (the main thread applies them; this replica's running
// statistics are never read: training-mode BatchNorm normalises with the batch's own).
import { parentPort } from 'node:worker_threads';
import { BatchNorm2d, initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { microStep } from './micro-step.js';
import type {
  BatchNormUpdate,
  ErrorMessage,
  InitMessage,
  ReadyMessage,
  ShardMessage,
  StepMessage,
  ToWorker,
} from './parallel-protocol.js';
import { ssdFromSafetensors } from './serialize.js';
import type { Ssd } from './ssd.js';

const port = parentPort;
if (!port) {
  throw new Error('@cv/ssd parallel-worker: run it as a worker thread (createParallelTrainer starts it)');
}

let model: Ssd | undefined;
let params: tf.Variable[] = [];
let captured: BatchNormUpdate[] | undefined;
/** The step whose parameters are loaded. */
let loadedStep = -1;

type RunningStatsUpdater = { updateRunningStats(mean: tf.Tensor, biasedVar: tf.Tensor, count: number): void };

async function init(msg: InitMessage): Promise<void> {
  await initBackend(msg.backend, { log: false });
  model = ssdFromSafetensors(msg.weights);
  model.train();
  params = model.parameters();
  const batchNorms: string[] = [];
  for (const [name, m] of model.namedModules()) {
    if (!(m instanceof BatchNorm2d) || !m.trackRunningStats) continue;
    batchNorms.push(name);
    // Record the statistics instead of updating this replica's buffers (PyTorch's update is applied on the
    // main thread, shard after shard, by the module's own updateRunningStats).
    (m as unknown as RunningStatsUpdater).updateRunningStats = (mean, biasedVar, count) => {
      if (!captured) throw new Error(`parallel-worker: ${name} updated its statistics outside a step`);
      captured.push({
        module: name,
        mean: Float32Array.from(mean.dataSync() as Float32Array),
        variance: Float32Array.from(biasedVar.dataSync() as Float32Array),
        count,
      });
    };
  }
  const ready: ReadyMessage = {
    type: 'ready',
    params: model.namedParameters().map(([n, v]) => [n, v.shape]),
    batchNorms,
  };
  port!.postMessage(ready);
}

async function step(msg: StepMessage): Promise<void> {
  const net = model;
  if (!net) throw new Error('parallel-worker: step before init');
  if (msg.params) {
    let at = 0;
    tf.tidy(() => {
      for (const p of params) {
        p.assign(tf.tensor(msg.params!.subarray(at, at + p.size), p.shape, 'float32'));
        at += p.size;
      }
    });
    if (at !== msg.params.length)
      throw new Error(`parallel-worker: got ${msg.params.length} parameter values, the model has ${at}`);
    loadedStep = msg.id;
  } else if (loadedStep !== msg.id) {
    throw new Error(`parallel-worker: step ${msg.id} sent no parameters`);
  }
  net.train();
  const s = msg.shard;
  const x = tf.tensor4d(s.images, s.imageShape);
  const y = tf.tensor3d(s.labels, [s.imageShape[0], s.rows, 5]);
  captured = [];
  let r: ReturnType<typeof microStep> | undefined;
  try {
    r = microStep(net, params, x, y, s.scale, {
      ...(msg.loss ? { loss: msg.loss } : {}),
      ...(msg.target ? { target: msg.target } : {}),
    });
    const grads = new Float32Array(params.reduce((n, p) => n + p.size, 0));
    const missing: number[] = [];
    let o = 0;
    for (let i = 0; i < params.length; i++) {
      const g = r.grads[params[i]!.name];
      if (g) grads.set((await g.data()) as Float32Array, o);
      else missing.push(i);
      o += params[i]!.size;
    }
    const sums = (await r.sums.data()) as Float32Array;
    const out: ShardMessage = {
      type: 'shard',
      id: msg.id,
      index: s.index,
      grads,
      missing,
      sums: [sums[0]!, sums[1]!, sums[2]!],
      anchors: r.anchors,
      targetMs: r.targetMs,
      batchNorm: captured,
    };
    port!.postMessage(out, [grads.buffer]);
  } catch (err) {
    const e: ErrorMessage = { type: 'error', id: msg.id, index: s.index, message: describe(err) };
    port!.postMessage(e);
  } finally {
    captured = undefined;
    tf.dispose([x, y]);
    if (r) tf.dispose([r.sums, ...Object.values(r.grads)]);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Messages are handled one after the other (a step may await device reads).
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  queue = queue.then(async () => {
    try {
      if (msg.type === 'init') await init(msg);
      else if (msg.type === 'step') await step(msg);
      else
        throw new Error(
          `parallel-worker: unknown message ${JSON.stringify((msg as { type?: unknown }).type)}`,
        );
    } catch (err) {
      const id = msg.type === 'step' ? msg.id : -1;
      const e: ErrorMessage = { type: 'error', id, message: describe(err) };
      port.postMessage(e);
    }
  });
});
