import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AdaptiveMaxPool2d, initBackend, NonFiniteLossError, SGD } from '@cv/core';
import { expectClose, expectNoLeaks } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detect } from './detect.js';
import { downSampleBlock } from './down-sample-block.js';
import { loadSsd, saveSsd } from './files.js';
import { ssdFromSafetensors, ssdToSafetensors } from './serialize.js';
import { createSsd } from './ssd.js';
import { ssdAnchorSizes, tinySsd } from './tiny-ssd.js';
import { trainSsd } from './train.js';

const SIZE = 64;

/** Four 64x64 images with a bright square (the object) and its label; the same batches every epoch. */
function makeLoader(opts: { nan?: boolean } = {}) {
  const boxes = [
    [0.1, 0.1, 0.5, 0.5],
    [0.4, 0.3, 0.9, 0.8],
    [0.2, 0.5, 0.6, 0.95],
    [0.5, 0.05, 0.95, 0.45],
  ];
  const batches = [0, 2].map((start) => {
    const imgs = new Float32Array(2 * SIZE * SIZE * 3);
    const labs: number[] = [];
    for (let b = 0; b < 2; b++) {
      const [x1, y1, x2, y2] = boxes[start + b]!;
      for (let y = 0; y < SIZE; y++)
        for (let x = 0; x < SIZE; x++) {
          const inside = x >= x1! * SIZE && x < x2! * SIZE && y >= y1! * SIZE && y < y2! * SIZE;
          for (let c = 0; c < 3; c++)
            imgs[((b * SIZE + y) * SIZE + x) * 3 + c] = inside ? 220 - 40 * c : 30 + ((x * 7 + y * 3) % 20);
        }
      labs.push(0, x1!, y1!, x2!, y2!);
    }
    if (opts.nan) imgs[5] = Number.NaN;
    return { imgs, labs };
  });
  return {
    length: 2,
    async *[Symbol.asyncIterator]() {
      for (const { imgs, labs } of batches)
        yield { images: tf.tensor4d(imgs, [2, SIZE, SIZE, 3]), labels: tf.tensor3d(labs, [2, 1, 5]) };
    },
  };
}

describe('training, evaluation, detection and files (wasm)', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('wasm', { log: false });
    dir = await mkdtemp(path.join(tmpdir(), 'cv-ssd-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('trains with validation AP, history and checkpoints, leaking no tensor', async () => {
    const result = await expectNoLeaks(async () => {
      const net = tinySsd();
      const records: number[] = [];
      const r = await trainSsd(net, makeLoader(), {
        epochs: 2,
        valLoader: makeLoader(),
        checkpointDir: path.join(dir, 'a'),
        onEpoch: (rec) => {
          records.push(rec.epoch);
        },
      });
      net.dispose();
      expect(records).toEqual([1, 2]);
      return r.history.records;
    });
    expect(result).toHaveLength(2);
    for (const rec of result) {
      for (const k of ['train loss', 'class err', 'bbox mae', 'val AP@0.5', 'val class err', 'val bbox mae'])
        expect(Number.isFinite(rec[k]), k).toBe(true);
    }
    expect(result[1]!['train loss']).toBeLessThan(result[0]!['train loss']!);
    expect((await readdir(path.join(dir, 'a'))).sort()).toEqual([
      'checkpoint-000001.safetensors',
      'checkpoint-000002.safetensors',
    ]);
  });

  it('resumes from a checkpoint exactly as the uninterrupted run (with flips, hard negatives, smooth L1)', async () => {
    const extra = {
      augment: { flip: true, seed: 3 },
      loss: { hardNegativeRatio: 3, bboxLoss: 'smoothL1' as const },
    };
    const full = tinySsd();
    const ref = full.stateDict();
    await trainSsd(full, makeLoader(), {
      epochs: 2,
      checkpointDir: path.join(dir, 'full'),
      microBatch: 1,
      ...extra,
    });
    const a = tinySsd();
    a.loadStateDict(ref);
    await trainSsd(a, makeLoader(), {
      epochs: 1,
      checkpointDir: path.join(dir, 'part'),
      microBatch: 1,
      ...extra,
    });
    const b = tinySsd();
    const r = await trainSsd(b, makeLoader(), {
      epochs: 2,
      checkpointDir: path.join(dir, 'part'),
      resume: true,
      microBatch: 1,
      ...extra,
    });
    expect(r.firstEpoch).toBe(2);
    expect(r.history.records.map((x) => x.epoch)).toEqual([1, 2]);
    const want = full.stateDict();
    const got = b.stateDict();
    for (const k of Object.keys(want)) expectClose(got[k]!, want[k]!, { atol: 1e-6, rtol: 1e-6, what: k });
    tf.dispose([...Object.values(ref), ...Object.values(want), ...Object.values(got)]);
    for (const m of [full, a, b]) m.dispose();
  });

  it("anneals the lr with schedule 'cosine' (PyTorch's CosineAnnealingLR per epoch), also after a resume", async () => {
    const cosine = (e: number, epochs: number) => (0.2 * (1 + Math.cos((Math.PI * (e - 1)) / epochs))) / 2;
    const run = (epochs: number, resume: boolean) =>
      expectNoLeaks(async () => {
        const net = tinySsd();
        const optimizer = new SGD(Object.fromEntries(net.namedParameters()), { lr: 0.2, weightDecay: 5e-4 });
        const lrs: number[] = [];
        await trainSsd(net, makeLoader(), {
          epochs,
          optimizer,
          schedule: 'cosine',
          checkpointDir: path.join(dir, 'cosine'),
          resume,
          onEpoch: () => {
            lrs.push(optimizer.lr);
          },
        });
        optimizer.dispose();
        net.dispose();
        return lrs;
      });
    const lrs = await run(3, false);
    expect(lrs).toHaveLength(3);
    for (const [i, lr] of lrs.entries()) expect(lr).toBeCloseTo(cosine(i + 1, 3), 12);
    expect(lrs[2]).toBeLessThan(lrs[1]!);
    // Resumed to 5 epochs: epochs 4 and 5 of a 5-epoch schedule, from the base lr, not the restored lr.
    const resumed = await run(5, true);
    expect(resumed).toHaveLength(2);
    expect(resumed[0]).toBeCloseTo(cosine(4, 5), 12);
    expect(resumed[1]).toBeCloseTo(cosine(5, 5), 12);
    const net = tinySsd();
    await expect(trainSsd(net, makeLoader(), { epochs: 1, schedule: 'step' as 'cosine' })).rejects.toThrow(
      /options.schedule must be 'constant' or 'cosine', got "step"/,
    );
    net.dispose();
  });

  it('stops on a non-finite loss (NaN guard) before the update; no checkpoint for that epoch', async () => {
    const net = tinySsd();
    const bias = net.getSubmodule('cls_0') as unknown as { bias: tf.Variable };
    bias.bias.assign(tf.fill(bias.bias.shape, Number.NaN));
    const before = net.stateDict();
    const err = await trainSsd(net, makeLoader(), { epochs: 2, checkpointDir: path.join(dir, 'nan') }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).epoch).toBe(1);
    expect((err as Error).message).toMatch(
      /loss is NaN at epoch 1, step 1 of 2.*Lower the learning rate \(now 0.2\)/,
    );
    await expect(readdir(path.join(dir, 'nan'))).rejects.toThrow(/ENOENT/);
    const after = net.stateDict();
    for (const k of Object.keys(before)) {
      if (k.includes('running') || k.includes('num_batches')) continue; // the forward pass ran
      expectClose(after[k]!, before[k]!, { what: `${k} unchanged` });
    }
    tf.dispose([...Object.values(before), ...Object.values(after)]);
    net.dispose();
  });

  it('detect gives pixel boxes with classes and scores, best first, within the thresholds', async () => {
    const net = tinySsd();
    const x = tf.randomUniform([2, SIZE, SIZE, 3], 0, 255, 'float32', 1);
    await detect(net, x); // the first call at a new size computes the anchors the model keeps
    const dets = await expectNoLeaks(() => detect(net, x, { scoreThreshold: 0, maxDetections: 5 }));
    expect(dets).toHaveLength(2);
    for (const list of dets) {
      expect(list.length).toBeLessThanOrEqual(5);
      for (let i = 0; i < list.length; i++) {
        const d = list[i]!;
        expect(d.classId).toBe(0);
        if (i > 0) expect(d.score).toBeLessThanOrEqual(list[i - 1]!.score);
        d.box.forEach((v, j) => {
          expect(v).toBeCloseTo(d.boxNormalized[j]! * SIZE, 3);
        });
      }
    }
    expect((await detect(net, x, { scoreThreshold: 1 })).flat()).toHaveLength(0);
    expect(net.training).toBe(true); // the mode is restored
    tf.dispose(x);
    net.dispose();
  });

  it('saves and loads (safetensors + JSON): identical outputs; custom models need the model', async () => {
    const net = tinySsd({ numClasses: 2, sizes: ssdAnchorSizes(0.1, 0.5) });
    const x = tf.randomUniform([1, SIZE, SIZE, 3], 0, 255, 'float32', 2);
    const { weights, config } = await saveSsd(path.join(dir, 'm.safetensors'), net);
    expect(config.endsWith('m.json')).toBe(true);
    const loaded = await loadSsd(weights);
    net.eval();
    loaded.eval();
    const a = net.apply(x);
    const b = loaded.apply(x);
    expectClose(b.clsPreds, a.clsPreds, { atol: 0, rtol: 0 });
    expectClose(b.bboxPreds, a.bboxPreds, { atol: 0, rtol: 0 });
    expectClose(b.anchors, a.anchors, { atol: 0, rtol: 0 }); // the sizes travel in the config
    const custom = () =>
      createSsd({
        backbone: downSampleBlock(3, 8),
        stages: [downSampleBlock(8, 8), new AdaptiveMaxPool2d(1)],
        sizes: [[0.2], [0.5], [0.9]],
        ratios: [1, 2],
        numClasses: 1,
        probeSize: 32,
      });
    const c = custom();
    const bytes = ssdToSafetensors(c);
    expect(() => ssdFromSafetensors(bytes)).toThrow(/build it with createSsd and pass it as options.model/);
    const c2 = ssdFromSafetensors(bytes, { model: custom() });
    const o1 = c.apply(x);
    const o2 = c2.apply(x);
    expect(o1.clsPreds.shape).toEqual([1, (32 * 32 + 16 * 16 + 1) * 2, 2]);
    expectClose(o2.bboxPreds, o1.bboxPreds, { atol: 0, rtol: 0 });
    tf.dispose([a, b, o1, o2, x]);
    for (const m of [net, loaded, c, c2]) m.dispose();
  });
});
