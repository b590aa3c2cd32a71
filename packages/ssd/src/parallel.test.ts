// The worker threads run the built package (dist/parallel-worker.js): build first (`pnpm build`).
import { initBackend, NonFiniteLossError, SGD } from '@cv/core';
import { expectClose, expectNoLeaks } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParallelTrainer, type ParallelTrainer } from './parallel.js';
import { ssdFromSafetensors, ssdToSafetensors } from './serialize.js';
import { tinySsd } from './tiny-ssd.js';
import { trainStep } from './train-step.js';

const SIZE = 64;
const workerUrl = new URL('../dist/parallel-worker.js', import.meta.url);
const BOXES = [
  [0.1, 0.1, 0.5, 0.5],
  [0.4, 0.3, 0.9, 0.8],
  [0.2, 0.5, 0.6, 0.95],
  [0.5, 0.05, 0.95, 0.45],
];

/** Four 64x64 images, each with a bright rectangle (its one labelled box) on a textured background. */
function batch(channels = 3): { images: tf.Tensor4D; labels: tf.Tensor3D } {
  const imgs = new Float32Array(4 * SIZE * SIZE * channels);
  const labs: number[] = [];
  for (let b = 0; b < 4; b++) {
    const [x1, y1, x2, y2] = BOXES[b]!;
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        const inside = x >= x1! * SIZE && x < x2! * SIZE && y >= y1! * SIZE && y < y2! * SIZE;
        for (let c = 0; c < channels; c++)
          imgs[((b * SIZE + y) * SIZE + x) * channels + c] = inside
            ? 220 - 40 * c
            : 30 + ((x * 7 + y * 3 + b * 5) % 20);
      }
    labs.push(0, x1!, y1!, x2!, y2!);
  }
  return { images: tf.tensor4d(imgs, [4, SIZE, SIZE, channels]), labels: tf.tensor3d(labs, [4, 1, 5]) };
}

describe('createParallelTrainer (2 wasm workers)', () => {
  const open: ParallelTrainer[] = [];
  beforeAll(async () => {
    await initBackend('wasm', { log: false });
  });
  afterAll(async () => {
    for (const t of open) await t.close();
  });

  it('gives the loss, metrics, parameters and BatchNorm buffers of trainStep with the same micro-batches', async () => {
    const a = tinySsd();
    const b = ssdFromSafetensors(ssdToSafetensors(a));
    const { images, labels } = batch();
    const optA = new SGD(Object.fromEntries(a.namedParameters()), { lr: 0.2, weightDecay: 5e-4 });
    const optB = new SGD(Object.fromEntries(b.namedParameters()), { lr: 0.2, weightDecay: 5e-4 });
    const trainer = await createParallelTrainer(b, { workers: 2, workerUrl });
    open.push(trainer);
    expect(trainer.workers).toBe(2);
    expect(trainer.backend).toBe('wasm');
    // Step 1: the default, one micro-batch of 2 per worker; step 2: four micro-batches of 1 handed out as the
    // workers free up (who computes which varies, the result may not).
    for (const micro of [2, 1]) {
      const want = await trainStep(a, optA, images, labels, { microBatch: micro });
      const got = await expectNoLeaks(
        () => trainer.step(optB, images, labels, micro === 2 ? {} : { microBatch: micro }),
        { what: 'ParallelTrainer.step' },
      );
      expect(got.loss).toBeCloseTo(want.loss, 5);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5);
      expect(got.correct).toBe(want.correct);
      expect(got.anchors).toBe(want.anchors);
      expect(got.boxEntries).toBe(want.boxEntries);
      expect(Math.abs(got.absError - want.absError)).toBeLessThan(1e-5 * Math.max(1, want.absError));
      expect(got.targetMs).toBeGreaterThan(0);
    }
    const wantState = a.stateDict();
    const gotState = b.stateDict();
    const names = Object.keys(wantState);
    expect(names.some((k) => k.endsWith('running_mean'))).toBe(true);
    expect(Object.keys(gotState).sort()).toEqual([...names].sort());
    for (const k of names) expectClose(gotState[k]!, wantState[k]!, { atol: 1e-5, rtol: 1e-5, what: k });
    // 2 + 4 micro-batches: six BatchNorm updates of each module, as trainStep.
    for (const k of names.filter((n) => n.endsWith('num_batches_tracked')))
      expect(gotState[k]!.dataSync()[0], k).toBe(6);
    tf.dispose([...Object.values(wantState), ...Object.values(gotState), images, labels]);
    optA.dispose();
    optB.dispose();
    a.dispose();
    b.dispose();
  });

  it('rejects a step that fails in a worker with the worker message, and keeps working', async () => {
    const net = tinySsd();
    const trainer = await createParallelTrainer(net, { workers: 2, workerUrl });
    open.push(trainer);
    const opt = new SGD(Object.fromEntries(net.namedParameters()), { lr: 0.2 });
    const before = net.stateDict();
    const bad = batch(4); // 4 channels: the first convolution expects 3
    await expect(trainer.step(opt, bad.images, bad.labels)).rejects.toThrow(
      /ParallelTrainer\.step: worker [01], micro-batch [01]: .*/,
    );
    const after = net.stateDict();
    for (const k of Object.keys(before)) expectClose(after[k]!, before[k]!, { atol: 0, rtol: 0, what: k });
    const good = batch();
    const r = await trainer.step(opt, good.images, good.labels);
    expect(Number.isFinite(r.loss)).toBe(true);
    tf.dispose([...Object.values(before), ...Object.values(after), bad.images, bad.labels]);
    tf.dispose([good.images, good.labels]);
    opt.dispose();
    net.dispose();
  });

  it('stops on a non-finite loss (NaN guard) before the update', async () => {
    const net = tinySsd();
    const trainer = await createParallelTrainer(net, { workers: 2, workerUrl });
    open.push(trainer);
    const opt = new SGD(Object.fromEntries(net.namedParameters()), { lr: 0.2 });
    const before = net.parameters().map((p) => p.clone());
    const { images, labels } = batch();
    // An infinite box-loss weight makes the workers' loss non-finite (a NaN pixel need not: ReLU maps NaN to 0 on WASM).
    const err = await trainer
      .step(opt, images, labels, { loss: { bboxWeight: Infinity }, position: { epoch: 3, step: 7 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/epoch 3, step 7/);
    net.parameters().forEach((p, i) => {
      expectClose(p, before[i]!, { atol: 0, rtol: 0, what: p.name });
    });
    tf.dispose([...before, images, labels]);
    opt.dispose();
    net.dispose();
  });

  it('checks shapes on the main thread, naming the argument', async () => {
    const net = tinySsd();
    const trainer = await createParallelTrainer(net, { workers: 2, workerUrl });
    open.push(trainer);
    const opt = new SGD(Object.fromEntries(net.namedParameters()), { lr: 0.2 });
    const { images, labels } = batch();
    const wrong = tf.zeros([4, 1, 4]);
    await expect(trainer.step(opt, images, wrong)).rejects.toThrow(
      'ParallelTrainer.step: labels must be [B, M, 5] with B = 4, got [4,1,4]',
    );
    tf.dispose([images, labels, wrong]);
    opt.dispose();
    net.dispose();
  });

  it('rejects the step and every later one when a worker dies, and close() is idempotent', async () => {
    const net = tinySsd();
    const trainer = await createParallelTrainer(net, { workers: 2, workerUrl });
    const opt = new SGD(Object.fromEntries(net.namedParameters()), { lr: 0.2 });
    const { images, labels } = batch();
    const pending = trainer.step(opt, images, labels);
    await trainer.threads[1]!.terminate(); // as a crash: the thread ends mid-step
    await expect(pending).rejects.toThrow(/ParallelTrainer\.step: worker 1 exited \(code 1\)/);
    await expect(trainer.step(opt, images, labels)).rejects.toThrow(/worker 1 exited/);
    await trainer.close();
    await trainer.close();
    await expect(trainer.step(opt, images, labels)).rejects.toThrow(
      'ParallelTrainer.step: the trainer is closed',
    );
    tf.dispose([images, labels]);
    opt.dispose();
    net.dispose();
  });

  it('validates its options', async () => {
    const net = tinySsd();
    await expect(createParallelTrainer(net, { workers: 0, workerUrl })).rejects.toThrow(
      'createParallelTrainer: options.workers must be an integer ≥ 1, got 0',
    );
    await expect(createParallelTrainer(net, { backend: 'webgpu' as 'wasm', workerUrl })).rejects.toThrow(
      /options.backend must be 'wasm' or 'cpu'/,
    );
    await expect(
      createParallelTrainer(net, { workerUrl: new URL('./no-such-worker.js', import.meta.url) }),
    ).rejects.toThrow(/the worker entry .*no-such-worker.js does not exist/);
    net.dispose();
  });
});

describe('trainSsd({ workers: 2 }) from the built package', () => {
  it('announces the workers, trains and leaves no tensor behind', async () => {
    // The built node entry: its trainSsd finds dist/parallel-worker.js beside itself, as in a user's install.
    const built = (await import(
      new URL('../dist/node.js', import.meta.url).href
    )) as typeof import('./node.js');
    await initBackend('wasm', { log: false });
    const messages: string[] = [];
    const loader = {
      length: 2,
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 2; i++) yield batch();
      },
    };
    const r = await expectNoLeaks(async () => {
      const net = built.tinySsd();
      const out = await built.trainSsd(net, loader, { epochs: 2, workers: 2, log: (m) => messages.push(m) });
      net.dispose();
      return out;
    });
    expect(messages).toEqual(['trainSsd: training on 2 worker threads (wasm)']);
    expect(r.workers).toBe(2);
    expect(r.profile.steps).toBe(4);
    const [e1, e2] = r.history.records;
    expect(Number.isFinite(e1!['train loss'])).toBe(true);
    expect(e2!['train loss']).toBeLessThan(e1!['train loss']!);
  });
});
