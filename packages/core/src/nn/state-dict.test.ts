// Golden values: fixtures/nn/tiny-resnet.json, made by fixtures/nn/make_nn_fixtures.py (PyTorch 1.13 CPU):
// a torchvision-style ResNet (torchvision's BasicBlock names: conv1, bn1, layer1.0.downsample.1, fc) with
// random weights and BatchNorm statistics, its state dict, its eval- and train-mode outputs in float64, and its
// BatchNorm buffers after the train-mode forward.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, testBackends } from '../testing/index.js';
import { AdaptiveAvgPool2d } from './adaptive-pool2d.js';
import { BatchNorm2d } from './batch-norm2d.js';
import { Conv2d } from './conv2d.js';
import { Flatten } from './flatten.js';
import { Linear } from './linear.js';
import { MaxPool2d } from './max-pool2d.js';
import { Module } from './module.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';
import { type RawTensor, StateDictError } from './state-dict.js';

const fx = JSON.parse(
  readFileSync(new URL('../../fixtures/nn/tiny-resnet.json', import.meta.url), 'utf8'),
) as {
  state: Record<string, RawTensor>;
  x: RawTensor;
  yEval: RawTensor;
  yTrain: RawTensor;
  buffersAfterTrain: Record<string, RawTensor>;
};
const T = (r: RawTensor) => tf.tensor(Array.from(r.data as ArrayLike<number>), [...r.shape]);

/** torchvision.models.resnet.BasicBlock, same names. */
class BasicBlock extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu = this.registerModule('relu', new ReLU());
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Sequential | null = null;
  constructor(cin: number, cout: number, stride: number) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(cin, cout, 3, { stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(cout));
    this.conv2 = this.registerModule('conv2', new Conv2d(cout, cout, 3, { padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(cout));
    if (stride !== 1 || cin !== cout) {
      this.downsample = this.registerModule(
        'downsample',
        new Sequential(new Conv2d(cin, cout, 1, { stride, bias: false }), new BatchNorm2d(cout)),
      );
    }
  }
  forward(x: tf.Tensor) {
    const identity = this.downsample ? this.downsample.apply(x) : x;
    const out = this.relu.apply(this.bn1.apply(this.conv1.apply(x)));
    return this.relu.apply(tf.add(this.bn2.apply(this.conv2.apply(out)), identity));
  }
}

class TinyResNet extends Module {
  conv1 = this.registerModule('conv1', new Conv2d(3, 4, 3, { stride: 2, padding: 1, bias: false }));
  bn1 = this.registerModule('bn1', new BatchNorm2d(4));
  relu = this.registerModule('relu', new ReLU());
  maxpool = this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
  layer1 = this.registerModule('layer1', new Sequential(new BasicBlock(4, 4, 1)));
  layer2 = this.registerModule('layer2', new Sequential(new BasicBlock(4, 6, 2)));
  avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d([1, 1]));
  flatten = new Flatten();
  fc = this.registerModule('fc', new Linear(6, 5));
  forward(x: tf.Tensor) {
    const y = this.maxpool.apply(this.relu.apply(this.bn1.apply(this.conv1.apply(x))));
    return this.fc.apply(this.flatten.apply(this.avgpool.apply(this.layer2.apply(this.layer1.apply(y)))));
  }
}

for (const backend of await testBackends()) {
  describe(`a torchvision-style checkpoint on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('loads by name (OIHW → HWIO, int64 → int32) and reproduces PyTorch in eval and train mode', async () => {
      const net = new TinyResNet();
      expect(Object.keys(net.stateDict())).toEqual(Object.keys(fx.state));
      await expectNoLeaks(() => net.loadStateDict(fx.state), { what: 'loadStateDict' });
      const x = T(fx.x);
      const yEval = net.eval().apply(x);
      tf.tidy(() => expectClose(yEval, T(fx.yEval), { what: 'eval output' }));
      const yTrain = net.train().apply(x);
      tf.tidy(() => expectClose(yTrain, T(fx.yTrain), { what: 'train output' }));
      const sd = net.stateDict();
      for (const [k, v] of Object.entries(fx.buffersAfterTrain)) {
        if (k.endsWith('num_batches_tracked')) expect(sd[k]!.dataSync()[0]).toBe(8);
        else tf.tidy(() => expectClose(sd[k]!, T(v), { what: k }));
      }
      // The state dict written back is the checkpoint's (layout round trip), except the trained statistics.
      for (const [k, v] of Object.entries(fx.state)) {
        if (!(k in fx.buffersAfterTrain))
          tf.tidy(() => expectClose(sd[k]!, T(v), { what: `round trip ${k}` }));
      }
      tf.dispose([x, yEval, yTrain, ...Object.values(sd)]);
      net.dispose();
    });
  });
}

describe('stateDict / loadStateDict (cpu)', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('returns new tensors the caller owns, in PyTorch layout', () => {
    const net = new Sequential(new Conv2d(2, 3, [3, 1]), new Linear(3, 4));
    const sd = net.stateDict();
    expect(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.shape]))).toEqual({
      '0.weight': [3, 2, 3, 1],
      '0.bias': [3],
      '1.weight': [4, 3],
      '1.bias': [4],
    });
    tf.dispose(Object.values(sd));
    expect(net.parameters().every((p) => !p.isDisposed)).toBe(true);
    net.dispose();
  });

  it('round-trips between two models: same outputs, tensor and Map inputs, caller keeps its tensors', async () => {
    const a = new Sequential(
      new Conv2d(2, 3, 3, { groups: 1, padding: 1 }),
      new BatchNorm2d(3),
      new ReLU(),
    ).eval();
    const b = new Sequential(
      new Conv2d(2, 3, 3, { groups: 1, padding: 1 }),
      new BatchNorm2d(3),
      new ReLU(),
    ).eval();
    const sd = a.stateDict();
    await expectNoLeaks(() => b.loadStateDict(new Map(Object.entries(sd))), {
      what: 'loadStateDict(Map of tensors)',
    });
    expect(Object.values(sd).every((t) => !t.isDisposed)).toBe(true);
    const x = tf.randomNormal([1, 4, 4, 2]);
    const ya = a.apply(x);
    const yb = b.apply(x);
    expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
    tf.dispose([x, ya, yb, ...Object.values(sd)]);
    a.dispose();
    b.dispose();
  });

  it('lists every missing key, unexpected key, shape mismatch and bad entry in one error, and loads nothing', () => {
    const net = new Sequential(new Conv2d(2, 3, 3), new BatchNorm2d(3), new Linear(3, 2));
    const before = net.stateDict();
    const wrongBias = tf.zeros([4]);
    const dict = {
      '0.weight': { shape: [3, 2, 3, 3], data: new Float32Array(54).fill(7) }, // fine, but must not be loaded
      '0.bias': wrongBias, // shape mismatch
      '1.weight': { shape: [3], data: [1, 2] }, // bad entry: 2 values for 3
      '1.bias': { shape: [3], data: [0, 0, 0] },
      '1.running_mean': { shape: [3], data: [0, 0, 0] },
      // '1.running_var' missing; '1.num_batches_tracked' is optional
      '2.weight': { shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }, // [in, out] given where PyTorch has [out, in] = [2, 3]
      '2.bias': { shape: [2], data: [0, 0] },
      'fc.weight': { shape: [1], data: [0] }, // unexpected
      extra: { shape: [], data: [1] }, // unexpected
    };
    let err: unknown;
    try {
      net.loadStateDict(dict);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    const e = err as StateDictError;
    expect(e.missingKeys).toEqual(['1.running_var']);
    expect(e.unexpectedKeys).toEqual(['fc.weight', 'extra']);
    expect(e.shapeMismatches).toEqual([
      { key: '0.bias', got: [4], expected: [3] },
      { key: '2.weight', got: [3, 2], expected: [2, 3] },
    ]);
    expect(e.invalidEntries).toEqual([{ key: '1.weight', reason: 'data has 2 elements, shape [3] needs 3' }]);
    expect(e.message).toBe(
      [
        'loadStateDict(Sequential): 6 problem(s), nothing was loaded:',
        '  missing keys (1): 1.running_var',
        '  unexpected keys (2): fc.weight, extra',
        '  shape mismatches (2, PyTorch layout): 0.bias: checkpoint [4], model [3]; 2.weight: checkpoint [3,2], model [2,3]',
        '  invalid entries (1): 1.weight: data has 2 elements, shape [3] needs 3',
      ].join('\n'),
    );
    const after = net.stateDict();
    for (const k of Object.keys(before))
      expect(Array.from(after[k]!.dataSync())).toEqual(Array.from(before[k]!.dataSync()));
    tf.dispose([wrongBias, ...Object.values(before), ...Object.values(after)]);
    net.dispose();
  });

  it('with strict: false returns missing and unexpected keys but still refuses shape mismatches', () => {
    const net = new Sequential(new Linear(3, 2), new Linear(2, 1));
    const res = net.loadStateDict(
      { '0.weight': { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, 'x.y': { shape: [1], data: [1] } },
      { strict: false },
    );
    expect(res).toEqual({ missingKeys: ['0.bias', '1.weight', '1.bias'], unexpectedKeys: ['x.y'] });
    expect(net.at(0)!.getParameter('weight')!.arraySync()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(() => net.loadStateDict({ '0.bias': { shape: [3], data: [1, 2, 3] } }, { strict: false })).toThrow(
      /loadStateDict\(Sequential\): 1 problem\(s\), nothing was loaded:\n {2}shape mismatches \(1, PyTorch layout\): 0\.bias: checkpoint \[3\], model \[2\]$/,
    );
    net.dispose();
  });

  it('accepts BigInt64 data (safetensors I64) and float data for integer buffers, and refuses disposed tensors', () => {
    const bn = new BatchNorm2d(1);
    const gone = tf.ones([1]);
    gone.dispose();
    expect(() => bn.loadStateDict({ weight: gone }, { strict: false })).toThrow(
      /invalid entries \(1\): weight: tensor is disposed/,
    );
    bn.loadStateDict({ num_batches_tracked: { shape: [], data: BigInt64Array.of(12n) } }, { strict: false });
    expect(bn.numBatchesTracked!.dataSync()[0]).toBe(12);
    const five = tf.scalar(5);
    bn.loadStateDict({ num_batches_tracked: five }, { strict: false });
    five.dispose();
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
    expect(bn.numBatchesTracked!.dataSync()[0]).toBe(5);
    expect(() => bn.loadStateDict(null as never)).toThrow(
      /loadStateDict: state dict must be a Map or an object of tensors, got null/,
    );
    bn.dispose();
  });
});
