// ResNet-18 / FCN shapes, weight loading, prediction and the training loop on WASM (the example's backend);
// the op-level parity suites run on cpu and wasm in parity.test.ts.
import { initBackend, SGD } from '@cv/core';
import { expectClose, expectNoLeaks } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FCN } from './fcn.js';
import { label2image, predict } from './predict.js';
import { fixtureResNetDict, loadFixture } from './test-support.js';
import { evaluateFcn, type SegmentationBatch, trainFcn, trainStep } from './train.js';
import { loadResNetWeights } from './weights.js';

const fx = loadFixture();

describe('wasm: ResNet-18 and FCN', () => {
  let fcn: FCN;
  beforeAll(async () => {
    await initBackend('wasm', { log: false });
    fcn = new FCN();
  });
  afterAll(() => fcn.dispose());

  it('maps 320x480 to 10x15 features and 320x480 logits (the seed’s example), 64x96 to 2x3', () => {
    fcn.eval();
    tf.tidy(() => {
      expect(fcn.backbone.features(tf.zeros([1, 64, 96, 3])).shape).toEqual([1, 2, 3, 512]);
      expect(fcn.backbone.apply(tf.zeros([2, 64, 64, 3])).shape).toEqual([2, 1000]);
      expect(fcn.apply(tf.zeros([1, 320, 480, 3])).shape).toEqual([1, 320, 480, 21]);
    });
  });

  it('initialises the transposed conv with the bilinear kernel (kernel 64, stride 32, padding 16)', () => {
    const t = fcn.transposeConv;
    expect([t.kernelSize, t.stride, t.padding]).toEqual([
      [64, 64],
      [32, 32],
      [16, 16],
    ]);
    tf.tidy(() => {
      const w = t.weight; // [k, k, out, in]
      expect(w.shape).toEqual([64, 64, 21, 21]);
      // channel c → c only, with the outer product of 1 − |i − 31.5| / 32
      const diag = tf.slice(w, [31, 31, 5, 5], [1, 1, 1, 1]).dataSync()[0]!;
      expect(diag).toBeCloseTo((1 - 0.5 / 32) ** 2, 6);
      expect(tf.slice(w, [31, 31, 5, 6], [1, 1, 1, 1]).dataSync()[0]).toBe(0);
    });
  });

  it('rejects inputs that are not NHWC RGB batches', () => {
    expect(() => fcn.apply(tf.zeros([64, 64, 3]))).toThrow(/FCN.forward: input must be an NHWC image batch/);
    expect(() => fcn.backbone.apply(tf.zeros([1, 64, 64, 1]))).toThrow(/ResNet.forward/);
  });

  it('loads torchvision/timm-named weights, with a wrapper prefix, into the backbone; reports what does not fit', () => {
    const dict = fixtureResNetDict(fx.resnet18_keys);
    const prefixed = new Map([...dict].map(([k, v]) => [`module.${k}`, v]));
    expect(loadResNetWeights(fcn.backbone, prefixed)).toEqual({ loaded: dict.size, fcLoaded: true });
    const conv1 = dict.get('conv1.weight')!;
    const stored = fcn.getSubmodule('0').stateDict();
    expectClose(stored.weight!, tf.tensor(Float32Array.from(conv1.data as Float32Array), [...conv1.shape]));
    tf.dispose(Object.values(stored));
    // backbone only (no fc): accepted
    const noFc = new Map([...dict].filter(([k]) => !k.startsWith('fc.')));
    expect(loadResNetWeights(fcn.backbone, noFc).fcLoaded).toBe(false);
    // a missing backbone key: nothing loaded, all problems named
    const broken = new Map(noFc);
    broken.delete('layer3.1.bn2.running_var');
    expect(() => loadResNetWeights(fcn.backbone, broken)).toThrow(
      /missing \(1\) layer3\.1\.bn2\.running_var/,
    );
    const wrongFc = new Map(dict);
    wrongFc.set('fc.weight', { shape: [10, 512], data: new Float32Array(5120) });
    expect(() => loadResNetWeights(fcn.backbone, wrongFc)).toThrow(
      /fc.weight: checkpoint \[10,512\], model \[1000,512\]/,
    );
    expect(() => loadResNetWeights(fcn.backbone, { 'features.0.weight': { shape: [1], data: [0] } })).toThrow(
      /no 'conv1.weight' in the checkpoint/,
    );
  });

  it('predict covers any size (padding to multiples of 32) and equals the argmax of the network', async () => {
    const image = tf.randomUniform([50, 70, 3], 0, 256, 'int32', 1);
    const pred = await expectNoLeaks(() => predict(fcn, image));
    expect(pred.shape).toEqual([50, 70]);
    expect(pred.dtype).toBe('int32');
    expect(fcn.training).toBe(false); // restored (eval from the first test)
    const x = tf.randomUniform([2, 64, 96, 3], 0, 1, 'float32', 2);
    tf.tidy(() => {
      const p = predict(fcn, x);
      expect(p.shape).toEqual([2, 64, 96]);
      const norm = tf.div(tf.sub(x, [0.485, 0.456, 0.406]), [0.229, 0.224, 0.225]);
      expectClose(p, tf.argMax(fcn.apply(norm), 3));
      const colored = label2image(tf.tensor2d([0, 1, 255, 20], [2, 2], 'int32'));
      expect(colored.arraySync()).toEqual([
        [
          [0, 0, 0],
          [128, 0, 0],
        ],
        [
          [224, 224, 192],
          [0, 64, 128],
        ],
      ]);
    });
    tf.dispose([image, pred, x]);
  });

  it('trainFcn runs epochs with validation, reports progress, and leaks nothing', async () => {
    // A loader makes its batches lazily, every epoch (trainFcn disposes each batch after use).
    const loader = (n: number, seed: number) => ({
      length: n,
      *[Symbol.iterator](): Generator<SegmentationBatch> {
        for (let i = 0; i < n; i++)
          yield {
            images: tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', seed + i),
            labels: tf.randomUniform([2, 32, 32], 0, 21, 'int32', seed + 100 + i),
          };
      },
    });
    const events: string[] = [];
    const epochEnds: number[] = [];
    const result = await expectNoLeaks(
      async () => {
        const r = await trainFcn(fcn, loader(3, 10), {
          epochs: 2,
          lr: 1e-3,
          valLoader: loader(1, 50),
          stepsPerEpoch: 2,
          onProgress: (e) => events.push(`${e.type}:${e.epoch}`),
          onEpochEnd: (e) => {
            epochEnds.push(e.epoch);
          },
        });
        r.optimizer.dispose();
        return r.history;
      },
      { what: 'trainFcn' },
    );
    expect(epochEnds).toEqual([1, 2]);
    expect(events).toEqual([
      'epochStart:1',
      'step:1',
      'step:1',
      'epochEnd:1',
      'epochStart:2',
      'step:2',
      'step:2',
      'epochEnd:2',
    ]);
    const rec = result.records;
    expect(rec).toHaveLength(2);
    for (const r of rec) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.val_miou).toBeGreaterThanOrEqual(0);
      expect(r.val_acc).toBeGreaterThanOrEqual(0);
    }
    const scores = await evaluateFcn(fcn, loader(1, 60));
    expect(scores.pixels).toBe(2 * 32 * 32);
  });

  it('trainStep with microBatch accumulates the full batch’s gradients (eval-mode BatchNorm: identical step)', async () => {
    const make = () => {
      const m = new FCN({ numClasses: 3 });
      m.loadStateDict(base);
      m.eval();
      return m;
    };
    const seedModel = new FCN({ numClasses: 3 });
    const base = seedModel.stateDict();
    seedModel.dispose();
    const x = tf.randomNormal([3, 32, 32, 3], 0, 1, 'float32', 9);
    const y = tf.randomUniform([3, 32, 32], 0, 3, 'int32', 10);
    const results = [];
    const states = [];
    for (const microBatch of [undefined, 2]) {
      const m = make();
      const opt = new SGD(Object.fromEntries(m.namedParameters()), { lr: 0.1, momentum: 0.9 });
      results.push(
        await expectNoLeaks(() => trainStep(m, opt, x, y, microBatch ? { microBatch } : {}), {
          keep: m.parameters().length,
        }),
      );
      states.push(m.stateDict());
      opt.dispose();
      m.dispose();
    }
    expect(results[1]!.loss).toBeCloseTo(results[0]!.loss, 4);
    expect(results[1]!.pixels).toBe(results[0]!.pixels);
    for (const k of ['final_conv.bias', '0.weight', '7.1.conv2.weight', 'transpose_conv.weight'])
      expectClose(states[1]![k]!, states[0]![k]!, { rtol: 1e-4, atol: 1e-6, what: k });
    tf.dispose([x, y, ...Object.values(base), ...states.flatMap((s) => Object.values(s))]);
  });

  it('stops on a non-finite loss (NonFiniteLossError naming the epoch and step)', async () => {
    const model = new FCN({ numClasses: 3 });
    // An absurd learning rate: the first step sends the head's weights to ±Infinity.
    const opt = new SGD(Object.fromEntries(model.namedParameters()), { lr: 1e38 });
    const batch = () => ({
      images: tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1),
      labels: tf.zeros([2, 32, 32], 'int32'),
    });
    await expect(trainFcn(model, [batch(), batch(), batch()], { epochs: 1, optimizer: opt })).rejects.toThrow(
      /epoch 1, step [23]/,
    );
    opt.dispose();
    model.dispose();
  });
});
