// Parity with PyTorch/torchvision (fixtures/make_fixtures.py): ResNet-18 and the seed's FCN with the same
// deterministic weights, eval-mode forwards and one training step.
import { initBackend, SGD } from '@cv/core';
import { expectClose, expectNoLeaks, maxDifference, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FCN } from './fcn.js';
import { fcnLoss } from './loss.js';
import { resnet18 } from './resnet.js';
import {
  decode,
  fixtureInput,
  fixtureLabels,
  loadFixture,
  loadFixtureFcn,
  loadFixtureResNet,
} from './test-support.js';
import { trainStep } from './train.js';

const fx = loadFixture();

/** |a − e| ≤ tol · max(1, max|e|): absolute for outputs of scale ≤ 1 (the logits here reach ~3.8). */
function expectParity(actual: tf.Tensor, expected: tf.Tensor, what: string, tol = 1e-4): void {
  const scale = Math.max(
    1,
    tf.tidy(() => tf.max(tf.abs(expected)).dataSync()[0]!),
  );
  const d = maxDifference(actual, expected);
  if (process.env.FCN_PARITY_LOG) console.log(what, 'maxAbs', d.maxAbs, 'scale', scale);
  expectClose(actual, expected, { rtol: 0, atol: tol * scale, what });
}

describe('state-dict names', () => {
  beforeAll(async () => {
    await initBackend('wasm', { log: false });
  });
  it('resnet18 has torchvision’s state-dict names, order and shapes', () => {
    const model = resnet18();
    const sd = model.stateDict();
    expect(Object.entries(sd).map(([k, v]) => [k, v.shape])).toEqual(fx.resnet18_keys);
    tf.dispose(Object.values(sd));
    model.dispose();
  });

  it('FCN has the seed’s Sequential state-dict names, order and shapes', () => {
    const model = new FCN();
    const sd = model.stateDict();
    expect(Object.entries(sd).map(([k, v]) => [k, v.shape])).toEqual(fx.fcn_keys);
    tf.dispose(Object.values(sd));
    model.dispose();
  });
});

for (const backend of await testBackends()) {
  describe(`${backend}: parity with torchvision`, () => {
    beforeAll(async () => {
      await initBackend(backend, { log: false });
    });

    it('ResNet-18 eval forward matches torchvision (logits and layer4)', async () => {
      const model = resnet18();
      loadFixtureResNet(model, fx.resnet18_keys);
      model.eval();
      const x = fixtureInput(fx.input.shape);
      await expectNoLeaks(() =>
        tf.tidy(() => {
          expectParity(model.features(x), decode(fx.resnet18.layer4), 'layer4');
          expectParity(model.apply(x), decode(fx.resnet18.logits), 'logits');
        }),
      );
      x.dispose();
      model.dispose();
    });

    describe('FCN', () => {
      let model: FCN;
      let x: tf.Tensor4D;
      let y: tf.Tensor3D;
      beforeAll(() => {
        model = new FCN();
        loadFixtureFcn(model, fx.resnet18_keys);
        x = fixtureInput(fx.input.shape);
        y = fixtureLabels(fx.input.shape[1], fx.input.shape[2]);
      });
      afterAll(() => {
        model.dispose();
        tf.dispose([x, y]);
      });

      it('eval forward matches the seed’s net (64x96 → 64x96x21)', async () => {
        model.eval();
        await expectNoLeaks(() =>
          tf.tidy(() => {
            const out = model.apply(x);
            expect(out.shape).toEqual([1, 64, 96, 21]);
            expectParity(out, decode(fx.fcn.eval), 'fcn eval');
          }),
        );
      });

      it('training loss and gradients match PyTorch (train-mode BatchNorm, 255 ignored)', async () => {
        model.train();
        const params = model.namedParameters();
        const pick = (name: string) => params.find(([k]) => k === name)![1];
        // conv1's gradient needs the whole backbone's backward pass: minutes on the plain-JS CPU backend.
        const deep = backend !== 'cpu';
        const vars = [pick('final_conv.weight'), pick('final_conv.bias'), pick('transpose_conv.bias')];
        if (deep) vars.push(pick('0.weight'));
        // Gradients without an optimizer step (running statistics move, as in PyTorch's forward).
        const stats = model.backbone.bn1.runningMean!.clone();
        const { value, grads } = tf.variableGrads(() => fcnLoss(model.apply(x), y), vars);
        expect(value.dataSync()[0]).toBeCloseTo(fx.fcn.train_loss, 4);
        const g = (v: tf.Variable) => grads[v.name]!;
        expectParity(g(vars[0]!), decode(fx.fcn.grad_final_conv_weight), 'grad final_conv.weight');
        expectParity(g(vars[1]!), decode(fx.fcn.grad_final_conv_bias), 'grad final_conv.bias');
        expectParity(g(vars[2]!), decode(fx.fcn.grad_transpose_conv_bias), 'grad transpose_conv.bias');
        if (deep) expectParity(g(vars[3]!), decode(fx.fcn.grad_conv1_weight), 'grad conv1.weight');
        tf.dispose([value, ...Object.values(grads)]);
        model.backbone.bn1.runningMean!.assign(stats);
        stats.dispose();
      });
    });
  });
}

describe('wasm: one SGD step as torch.optim.SGD(lr, weight_decay)', () => {
  beforeAll(async () => {
    await initBackend('wasm', { log: false });
  });
  it('updates parameters and BatchNorm running statistics like PyTorch, without leaking', async () => {
    const model = new FCN();
    loadFixtureFcn(model, fx.resnet18_keys);
    // PyTorch's BatchNorm starts with num_batches_tracked 0 and momentum 0.1, as ours.
    const x = fixtureInput(fx.input.shape);
    const y = fixtureLabels(fx.input.shape[1], fx.input.shape[2]);
    const opt = new SGD(Object.fromEntries(model.namedParameters()), {
      lr: fx.fcn.lr,
      weightDecay: fx.fcn.weight_decay,
    });
    model.train();
    const r = await expectNoLeaks(() => trainStep(model, opt, x, y));
    expect(r.loss).toBeCloseTo(fx.fcn.train_loss, 4);
    expect(r.pixels).toBe(y.size - tf.tidy(() => tf.sum(tf.cast(tf.equal(y, 255), 'int32')).dataSync()[0]!));
    expectParity(model.backbone.bn1.runningMean!, decode(fx.fcn.after_bn1_running_mean), 'bn1.running_mean');
    expectParity(model.backbone.bn1.runningVar!, decode(fx.fcn.after_bn1_running_var), 'bn1.running_var');
    expectParity(model.finalConv.bias!, decode(fx.fcn.after_final_conv_bias), 'final_conv.bias');
    opt.dispose();
    model.dispose();
    tf.dispose([x, y]);
  });
});
