/**
 * "A resumed run reproduces the uninterrupted run": d2l's linear regression trained with momentum SGD,
 * 4 epochs straight against 2 epochs + checkpoint + a fresh model/optimizer/RNG restored from it + 2 epochs.
 * Golden values: fixtures/train/resume.json, made by fixtures/train/make_resume_fixture.py (PyTorch 1.13,
 * torch.optim.SGD(lr=0.03, momentum=0.9) on the same data, initial parameters and shuffle orders).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { disposeCheckpoint } from '../train/checkpoint-format.js';
import { History } from '../train/history.js';
import { MeanMetric } from '../train/metrics.js';
import { checkFinite, NonFiniteLossError } from '../train/non-finite.js';
import { importOptimizerState } from '../train/optimizer-state.js';
import { type ProgressEvent, ProgressReporter } from '../train/progress.js';
import { readScalars } from '../train/read-scalars.js';
import { checkpointFileName, loadCheckpoint, saveCheckpoint } from './train-checkpoint.js';

interface Fixture {
  n: number;
  batch: number;
  epochs: number;
  lr: number;
  momentum: number;
  seed: number;
  X: number[][];
  y: number[];
  w0: number[];
  b0: number[];
  orders: number[][];
  after: { w: number[]; b: number[] }[];
}
const fx = JSON.parse(
  readFileSync(new URL('../../fixtures/train/resume.json', import.meta.url), 'utf8'),
) as Fixture;

/** mulberry32 with its state exposed (what a checkpoint's rngState carries); the fixture script has the same. */
class Mulberry32 {
  constructor(public state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  permutation(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}

/** A training run's whole state: what a fresh process would rebuild. */
interface Run {
  w: tf.Variable;
  b: tf.Variable;
  opt: tf.MomentumOptimizer;
  lr: number;
  rng: Mulberry32;
  history: History;
  orders: number[][];
}

function variableOf(t: tf.Tensor): tf.Variable {
  const v = tf.variable(t);
  t.dispose(); // the variable holds its own reference to the data
  return v;
}

function newRun(lr = fx.lr): Run {
  return {
    w: variableOf(tf.tensor2d(fx.w0, [2, 1])),
    b: variableOf(tf.tensor1d(fx.b0)),
    opt: tf.train.momentum(lr, fx.momentum),
    lr,
    rng: new Mulberry32(fx.seed),
    history: new History(),
    orders: [],
  };
}

function disposeRun(r: Run): void {
  r.opt.dispose();
  tf.dispose([r.w, r.b]);
}

let X: tf.Tensor2D;
let Y: tf.Tensor2D;

/** One full training step: forward, backward, update, one read of the loss, the NaN check, progress. */
async function trainStep(
  r: Run,
  idx: number[],
  epoch: number,
  step: number,
  mean: MeanMetric,
  progress: ProgressReporter,
): Promise<number> {
  const lossT = tf.tidy(() => {
    const i = tf.tensor1d(idx, 'int32');
    const xb = tf.gather(X, i);
    const yb = tf.gather(Y, i);
    return r.opt.minimize(
      () => tf.mean(tf.div(tf.square(tf.sub(tf.add(tf.matMul(xb, r.w), r.b), yb)), 2)) as tf.Scalar,
      true,
      [r.w, r.b],
    )!;
  });
  const [loss] = await readScalars([lossT], { dispose: true });
  checkFinite(loss!, { epoch, step, steps: fx.n / fx.batch, learningRate: r.lr });
  mean.update(loss!, idx.length);
  progress.step(idx.length, { loss: mean.result() });
  return loss!;
}

async function trainEpoch(r: Run, epoch: number, onProgress?: (e: ProgressEvent) => void): Promise<void> {
  const order = r.rng.permutation(fx.n);
  r.orders.push(order);
  const steps = fx.n / fx.batch;
  const progress = new ProgressReporter(onProgress, { epochs: fx.epochs });
  const mean = new MeanMetric('loss');
  progress.startEpoch(epoch, steps);
  for (let s = 0; s < steps; s++)
    await trainStep(r, order.slice(s * fx.batch, (s + 1) * fx.batch), epoch, s + 1, mean, progress);
  r.history.record(epoch, {
    'train loss': progress.endEpoch({ 'train loss': mean.result() }).metrics['train loss']!,
  });
}

async function save(dir: string, r: Run, epoch: number): Promise<void> {
  await saveCheckpoint(dir, {
    epoch,
    model: { w: r.w, b: r.b },
    optimizer: r.opt,
    history: r.history,
    rngState: r.rng.state,
  });
}

/** What a fresh process does: new variables, optimizer and RNG, then the checkpoint's state into them. */
async function resume(
  dir: string,
  options: { optimizer?: boolean; rng?: boolean } = {},
): Promise<{ run: Run; epoch: number }> {
  const run = newRun();
  const ck = (await loadCheckpoint(dir))!;
  run.w.assign(ck.model.w as tf.Tensor2D);
  run.b.assign(ck.model.b as tf.Tensor1D);
  if (options.optimizer !== false) await importOptimizerState(run.opt, ck.optimizer);
  if (options.rng !== false) run.rng.state = ck.rngState as number;
  run.history = ck.history!;
  disposeCheckpoint(ck);
  return { run, epoch: ck.epoch };
}

const params = (r: Run) => ({ w: Array.from(r.w.dataSync()), b: Array.from(r.b.dataSync()) });

describe('training resume (checkpoint → fresh state → same run)', () => {
  let root = '';
  let k = 0;
  const newDir = () => path.join(root, `run-${k++}`);
  beforeAll(async () => {
    await initBackend('cpu', { log: false });
    root = await mkdtemp(path.join(tmpdir(), 'cv-resume-'));
    X = tf.tensor2d(fx.X);
    Y = tf.tensor2d(fx.y, [fx.n, 1]);
  });
  afterAll(async () => {
    tf.dispose([X, Y]);
    await rm(root, { recursive: true, force: true });
  });

  it('trains as PyTorch SGD(momentum=0.9) does, epoch by epoch', async () => {
    const r = newRun();
    for (let epoch = 1; epoch <= fx.epochs; epoch++) {
      await trainEpoch(r, epoch);
      expectClose(r.w, tf.tensor2d(fx.after[epoch - 1]!.w, [2, 1]), {
        rtol: 1e-5,
        atol: 1e-5,
        what: `w after epoch ${epoch}`,
      });
      expectClose(r.b, fx.after[epoch - 1]!.b, { rtol: 1e-5, atol: 1e-5, what: `b after epoch ${epoch}` });
    }
    expect(r.orders).toEqual(fx.orders);
    disposeRun(r);
  });

  it('a run resumed from the epoch-2 checkpoint ends with exactly the uninterrupted run’s parameters and history', async () => {
    const straight = newRun();
    for (let epoch = 1; epoch <= 4; epoch++) await trainEpoch(straight, epoch);

    const dir = newDir();
    const first = newRun();
    for (let epoch = 1; epoch <= 2; epoch++) await trainEpoch(first, epoch);
    await save(dir, first, 2);
    disposeRun(first); // the first process ends

    const { run: resumed, epoch: done } = await resume(dir);
    expect(done).toBe(2);
    for (let epoch = done + 1; epoch <= 4; epoch++) await trainEpoch(resumed, epoch);

    expect(params(resumed)).toEqual(params(straight)); // bit for bit
    expect(resumed.history.records).toEqual(straight.history.records);
    expect([...fx.orders.slice(0, 2), ...resumed.orders]).toEqual(straight.orders);
    disposeRun(straight);
    disposeRun(resumed);
  });

  it('the test would notice a resume without the optimizer state or the RNG state', async () => {
    const straight = newRun();
    for (let epoch = 1; epoch <= 4; epoch++) await trainEpoch(straight, epoch);
    const dir = newDir();
    const first = newRun();
    for (let epoch = 1; epoch <= 2; epoch++) await trainEpoch(first, epoch);
    await save(dir, first, 2);
    disposeRun(first);
    for (const missing of [{ optimizer: false }, { rng: false }]) {
      const { run } = await resume(dir, missing);
      for (let epoch = 3; epoch <= 4; epoch++) await trainEpoch(run, epoch);
      expect(params(run)).not.toEqual(params(straight));
      disposeRun(run);
    }
    disposeRun(straight);
  });

  it('leaks no tensor in a full training step, nor in a checkpoint save and resume', async () => {
    const r = newRun();
    const events: ProgressEvent[] = [];
    const progress = new ProgressReporter((e) => events.push(e), { epochs: 1 });
    const mean = new MeanMetric();
    progress.startEpoch(1, 4);
    // The first step creates the optimizer's two momentum slots (kept on purpose); later steps make nothing.
    await expectNoLeaks(() => trainStep(r, [0, 1, 2, 3], 1, 1, mean, progress), {
      keep: 2,
      what: 'first training step',
    });
    await expectNoLeaks(() => trainStep(r, [4, 5, 6, 7], 1, 2, mean, progress), { what: 'training step' });
    expect(events.filter((e) => e.type === 'step').length).toBe(2);
    const dir = newDir();
    await expectNoLeaks(() => save(dir, r, 1), { what: 'saveCheckpoint' });
    // resume() returns w and b (counted), and keeps the new optimizer's two constants and two momentum slots.
    const { run } = await expectNoLeaks(() => resume(dir), { keep: 4, what: 'resume' });
    disposeRun(run);
    disposeRun(r);
  });

  it('a diverging run stops with NonFiniteLossError naming epoch and step, leaving the last checkpoint intact', async () => {
    const dir = newDir();
    const r = newRun();
    await trainEpoch(r, 1);
    await save(dir, r, 1);
    const file = path.join(dir, checkpointFileName(1));
    const before = await readFile(file);
    const saved = params(r);

    // Epoch 2 with a learning rate far too high (a bad schedule step): the loss overflows to Infinity/NaN.
    const hot: Run = { ...r, opt: tf.train.momentum(1e10, fx.momentum), lr: 1e10 };
    const ck = (await loadCheckpoint(dir))!;
    await importOptimizerState(hot.opt, ck.optimizer);
    disposeCheckpoint(ck);
    let error: unknown;
    const tensorsBefore = tf.memory().numTensors;
    try {
      for (let epoch = 2; epoch <= fx.epochs; epoch++) {
        await trainEpoch(hot, epoch);
        await save(dir, hot, epoch); // never reached: the loss is non-finite within epoch 2
      }
    } catch (e) {
      error = e;
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore); // the failing step disposed its tensors
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const e = error as NonFiniteLossError;
    expect(e.epoch).toBe(2);
    expect(e.message).toContain(`at epoch 2, step ${e.step} of 4`);
    expect(e.message).toContain('Lower the learning rate (now 10000000000)');
    expect(Number.isFinite(e.value)).toBe(false);

    // No checkpoint was written after the failure, and epoch 1's file is untouched and loads.
    expect(await readFile(file)).toEqual(before);
    const { run, epoch } = await resume(dir);
    expect(epoch).toBe(1);
    expect(params(run)).toEqual(saved);
    disposeRun(run);
    hot.opt.dispose();
    disposeRun(r);
  });
});
