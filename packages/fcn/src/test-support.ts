// Test support (not exported): the parity fixture and the deterministic weights it was made with.
import { readFileSync } from 'node:fs';
import type { RawTensor } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { fixtureValue, hashUniform } from './deterministic.js';
import type { FCN } from './fcn.js';
import type { ResNet } from './resnet.js';
import { loadResNetWeights } from './weights.js';

export interface B64 {
  shape: number[];
  base64: string;
}

export interface Fixture {
  input: { shape: [number, number, number, number] };
  resnet18: { logits: B64; layer4: B64 };
  fcn: {
    eval: B64;
    train_loss: number;
    lr: number;
    weight_decay: number;
    grad_final_conv_weight: B64;
    grad_final_conv_bias: B64;
    grad_conv1_weight: B64;
    grad_transpose_conv_bias: B64;
    after_bn1_running_mean: B64;
    after_bn1_running_var: B64;
    after_final_conv_bias: B64;
  };
  resnet18_keys: [string, number[]][];
  fcn_keys: [string, number[]][];
}

export function loadFixture(): Fixture {
  return JSON.parse(
    readFileSync(new URL('../fixtures/fcn_fixtures.json', import.meta.url), 'utf8'),
  ) as Fixture;
}

export function decode(b: B64): tf.Tensor {
  const bytes = Buffer.from(b.base64, 'base64');
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return tf.tensor(data, b.shape, 'float32');
}

/** The fixture's input image, NHWC `[1, 64, 96, 3]` (made NCHW in Python, transposed here). */
export function fixtureInput(shape: [number, number, number, number]): tf.Tensor4D {
  const [n, h, w, c] = shape;
  const u = hashUniform('input', n * c * h * w);
  const data = Float32Array.from(u, (v) => 2 * (2 * v - 1));
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [n, c, h, w]), [0, 2, 3, 1]) as tf.Tensor4D);
}

/** The fixture's labels `[1, 64, 96]`: floor(21u), 255 where u' < 0.1. */
export function fixtureLabels(h: number, w: number, numClasses = 21): tf.Tensor3D {
  const u = hashUniform('labels', h * w);
  const ig = hashUniform('ignore', h * w);
  const data = Int32Array.from(u, (v, i) => (ig[i]! < 0.1 ? 255 : Math.floor(v * numClasses)));
  return tf.tensor3d(data, [1, h, w], 'int32');
}

/** The deterministic ResNet weights under torchvision's names (PyTorch layout), for `keys` `[name, shape]`. */
export function fixtureResNetDict(keys: [string, number[]][]): Map<string, RawTensor> {
  const dict = new Map<string, RawTensor>();
  for (const [name, shape] of keys) {
    if (name.endsWith('num_batches_tracked')) continue;
    dict.set(name, { shape, data: fixtureValue(name, shape) });
  }
  return dict;
}

export function loadFixtureResNet(model: ResNet, keys: [string, number[]][]): void {
  loadResNetWeights(model, fixtureResNetDict(keys));
}

/** The FCN's fixture weights: the ResNet's into the backbone, the head's own; the bilinear kernel stays. */
export function loadFixtureFcn(model: FCN, resnetKeys: [string, number[]][]): void {
  loadFixtureResNet(model.backbone, resnetKeys);
  tf.tidy(() => {
    model.finalConv.weight.assign(
      tf.transpose(
        tf.tensor4d(fixtureValue('final_conv.weight', [21, 512, 1, 1]), [21, 512, 1, 1]),
        [2, 3, 1, 0],
      ),
    );
    model.finalConv.bias!.assign(tf.tensor1d(fixtureValue('final_conv.bias', [21])));
    model.transposeConv.bias!.assign(tf.tensor1d(fixtureValue('transpose_conv.bias', [21])));
  });
}
