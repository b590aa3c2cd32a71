import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend, type RawTensor, serializeSafetensors, writeSafetensorsFile } from '@cv/core';
import { expectClose } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19WeightsFrom } from './node.js';
import { deterministicStateDict, fixture } from './test-utils.js';
import { Vgg19 } from './vgg19.js';
import { loadVgg19Weights, loadVgg19WeightsFromSafetensors } from './vgg19-weights.js';

const LAST = 5; // features 0..5: conv1_1, relu, conv1_2, relu, pool, conv2_1

/**
 * A checkpoint with every key and shape of torchvision's vgg19().state_dict() (from the fixture): the
 * deterministic weights for features 0..LAST, shape-only placeholders (never read) for the rest.
 */
function torchvisionCheckpoint(): {
  dict: Record<string, tf.Tensor | RawTensor>;
  real: Record<string, tf.Tensor>;
} {
  const real = deterministicStateDict(LAST);
  const dict: Record<string, tf.Tensor | RawTensor> = {};
  for (const [k, shape] of fixture().vgg19StateDict)
    dict[k] = real[k] ?? { shape, data: new Float32Array(0) };
  return { dict, real };
}

/** timm's names for the same checkpoint (timm's vgg._filter_fn: classifier.0/3/6 → pre_logits.fc1/fc2, head.fc). */
function toTimm(dict: Record<string, tf.Tensor | RawTensor>): Record<string, tf.Tensor | RawTensor> {
  const rename: Record<string, string> = {
    'classifier.0': 'pre_logits.fc1',
    'classifier.3': 'pre_logits.fc2',
    'classifier.6': 'head.fc',
  };
  return Object.fromEntries(
    Object.entries(dict).map(([k, v]) => {
      const head = Object.keys(rename).find((p) => k.startsWith(`${p}.`));
      return [head ? k.replace(head, rename[head]!) : k, v];
    }),
  );
}

function expectLoaded(net: Vgg19, real: Record<string, tf.Tensor>): void {
  const sd = net.stateDict();
  try {
    expect(Object.keys(sd)).toEqual(Object.keys(real));
    for (const k of Object.keys(real)) expectClose(sd[k]!, real[k]!, { rtol: 0, atol: 0, what: k });
  } finally {
    tf.dispose(Object.values(sd));
  }
}

describe('VGG-19 weights', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('cpu', { log: false });
    dir = mkdtempSync(path.join(os.tmpdir(), 'cv-style-weights-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads torchvision's names, only the layers built, and lists what it skipped", () => {
    const { dict, real } = torchvisionCheckpoint();
    const net = new Vgg19({ lastLayer: LAST });
    try {
      const r = loadVgg19Weights(net, dict);
      expect(r.format).toBe('torchvision');
      expect(r.loaded).toEqual(Object.keys(real));
      expect(r.skipped).toContain('classifier.6.bias');
      expect(r.skipped).toContain('features.34.weight');
      expect(r.skipped).not.toContain('features.5.weight');
      expectLoaded(net, real);
    } finally {
      net.dispose();
      tf.dispose(Object.values(real));
    }
  });

  it("loads timm's vgg19.tv_in1k names", () => {
    const { dict, real } = torchvisionCheckpoint();
    const net = new Vgg19({ lastLayer: LAST });
    try {
      const r = loadVgg19Weights(net, toTimm(dict));
      expect(r.format).toBe('timm');
      expect(r.skipped).toContain('pre_logits.fc1.weight');
      expect(r.skipped).toContain('head.fc.bias');
      expectLoaded(net, real);
    } finally {
      net.dispose();
      tf.dispose(Object.values(real));
    }
  });

  it('reads safetensors bytes and files (with a prefix), as written by PyTorch tools', async () => {
    const real = deterministicStateDict(LAST);
    const prefixed = Object.fromEntries(Object.entries(real).map(([k, v]) => [`module.${k}`, v]));
    const net = new Vgg19({ lastLayer: LAST });
    try {
      const bytes = serializeSafetensors(real);
      expect((await loadVgg19WeightsFromSafetensors(net, bytes)).format).toBe('torchvision');
      expectLoaded(net, real);
      const file = path.join(dir, 'vgg19.safetensors');
      await writeSafetensorsFile(file, prefixed);
      const net2 = new Vgg19({ lastLayer: LAST });
      try {
        await loadVgg19WeightsFrom(net2, file, { prefix: 'module.' });
        expectLoaded(net2, real);
      } finally {
        net2.dispose();
      }
      await expect(loadVgg19WeightsFrom(net, path.join(dir, 'missing.safetensors'))).rejects.toThrow(
        /loadVgg19WeightsFrom\(.*missing\.safetensors\): .*ENOENT/,
      );
    } finally {
      net.dispose();
      tf.dispose(Object.values(real));
    }
  });

  it('names the problem: not a VGG, a missing layer, a wrong shape; then loads nothing', () => {
    const real = deterministicStateDict(LAST);
    const net = new Vgg19({ lastLayer: LAST });
    const before = net.stateDict();
    try {
      expect(() => loadVgg19Weights(net, { 'conv1.weight': real['features.0.weight']! })).toThrow(
        /loadVgg19Weights: the checkpoint has no 'features.N.weight' keys, so it is not a torchvision or timm VGG-19 \(its keys: conv1.weight\)/,
      );
      const { 'features.5.bias': _, ...missing } = real;
      expect(() => loadVgg19Weights(net, missing)).toThrow(/features\.5\.bias/);
      expect(() => loadVgg19Weights(net, { ...real, 'features.2.bias': tf.zeros([3]) })).toThrow(
        /features\.2\.bias/,
      );
      expectLoaded(net, before);
    } finally {
      net.dispose();
      tf.dispose([...Object.values(real), ...Object.values(before)]);
    }
  });
});
