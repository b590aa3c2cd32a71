// Issue 3's done-when: a safetensors file holding PyTorch tensors (written by
// fixtures/weights/make_safetensors.py straight from the format's specification) loads by name into the
// matching @cv/core modules, and the model then computes what PyTorch computed (expected.json, same script).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNorm2d,
  Conv2d,
  initBackend,
  Linear,
  Module,
  parseSafetensors,
  ReLU,
  StateDictError,
  toTensors,
} from '../src/index.node.js';
import { expectClose, expectNoLeaks } from '../src/testing/index.js';

const fixtures = new URL('../fixtures/weights/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', fixtures), 'utf8'));

/** PyTorch's Tiny: Conv2d(3,4,3,padding=1) → BatchNorm2d(4) → ReLU → mean over H,W → Linear(4,2). */
class Tiny extends Module {
  conv = this.registerModule('conv', new Conv2d(3, 4, 3, { padding: 1 }));
  bn = this.registerModule('bn', new BatchNorm2d(4));
  relu = new ReLU();
  fc = this.registerModule('fc', new Linear(4, 2));
  forward(x: tf.Tensor) {
    const h = this.relu.apply(this.bn.apply(this.conv.apply(x)));
    return this.fc.apply(tf.mean(h, [1, 2]));
  }
}

describe('safetensors → modules', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it.each(['tiny_f32', 'tiny_f16', 'tiny_bf16'])('%s loads by name and reproduces PyTorch', async (name) => {
    const parsed = parseSafetensors(readFileSync(new URL(`${name}.safetensors`, fixtures)));
    const model = new Tiny();
    model.eval();
    const weights = toTensors(parsed);
    model.loadStateDict(weights);
    tf.dispose(Object.values(weights));
    const { shape, values } = expected.model.input_nchw;
    const x = tf.tidy(() => tf.transpose(tf.tensor(values, shape), [0, 2, 3, 1])); // NCHW → NHWC
    const y = await expectNoLeaks(() => model.apply(x));
    // f16/bf16 files hold rounded weights; the PyTorch output is the f32 model's.
    const tol =
      name === 'tiny_f32' ? { rtol: 1e-5, atol: 1e-6 } : { rtol: 0, atol: name === 'tiny_f16' ? 2e-3 : 2e-2 };
    const want = tf.tensor(expected.model.output.values, expected.model.output.shape);
    expectClose(y, want, { ...tol, what: name });
    tf.dispose([x, y, want]);
    model.dispose();
  });

  it('names every missing, unexpected and mismatched key in one error', () => {
    const parsed = parseSafetensors(readFileSync(new URL('tiny_f32.safetensors', fixtures)));
    const model = new Tiny();
    const dict = toTensors(parsed);
    const broken: Record<string, tf.Tensor> = { ...dict, 'head.weight': tf.zeros([1]) };
    delete broken['fc.bias'];
    broken['conv.weight'] = tf.zeros([4, 3, 5, 5]);
    const err = (() => {
      try {
        model.loadStateDict(broken);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(StateDictError);
    expect(err!.message).toMatch(/fc\.bias/);
    expect(err!.message).toMatch(/head\.weight/);
    expect(err!.message).toMatch(/conv\.weight/);
    tf.dispose([...Object.values(dict), broken['head.weight']!, broken['conv.weight']!]);
    model.dispose();
  });
});
