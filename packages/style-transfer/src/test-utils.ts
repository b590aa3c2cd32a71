// Test helpers (not exported): the golden fixture and the deterministic VGG-19 weights of
// fixtures/make_fixtures.py.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { VGG19_CONFIG, Vgg19 } from './vgg19.js';

export interface FeatureSummary {
  shape: number[];
  sum: number;
  sumSq: number;
  stride: number;
  sample: number[];
}

export interface Fixture {
  size: [number, number];
  contentLayers: number[];
  styleLayers: number[];
  lossWeights: { content: number; style: number; tv: number };
  lr: number;
  contentX: number[];
  styleX: number[];
  contentFeatures: Record<string, FeatureSummary>;
  styleFeatures: Record<string, FeatureSummary>;
  contentFeaturesNoInplace: Record<string, FeatureSummary>;
  styleGram0: number[];
  steps: { contents: number[]; styles: number[]; tv: number; total: number }[];
  grad0: number[];
  imageAfter1: number[];
  preprocess: { bytes: number[]; shape: [number, number, number]; out: number[] };
  postprocess: { in: number[]; out: number[] };
  vgg19StateDict: [string, number[]][];
}

let cached: Fixture | undefined;

export function fixture(): Fixture {
  cached ??= JSON.parse(
    readFileSync(new URL('../fixtures/style-transfer.json', import.meta.url), 'utf8'),
  ) as Fixture;
  return cached;
}

/** `n` values uniform in [−1, 1): make_fixtures.py's `hash_uniform` (uint32 arithmetic, exact). */
export function hashUniform(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  const add = (seed * 40503 + 12345) >>> 0;
  for (let k = 0; k < n; k++) {
    let h = (Math.imul(k, 2654435761 | 0) + add) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x45d9f3b) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x45d9f3b) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    out[k] = (h / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** The deterministic state dict of make_fixtures.py for `features[0..lastLayer]` (PyTorch layout). */
export function deterministicStateDict(lastLayer: number): Record<string, tf.Tensor> {
  const dict: Record<string, tf.Tensor> = {};
  let c = 3;
  let i = 0;
  for (const o of VGG19_CONFIG) {
    if (i > lastLayer) break;
    if (o === 'M') {
      i++;
      continue;
    }
    const bound = Math.sqrt(6 / (9 * c));
    const w = hashUniform(o * c * 9, 2 * i).map((u) => u * bound);
    dict[`features.${i}.weight`] = tf.tensor4d(Float32Array.from(w), [o, c, 3, 3]);
    dict[`features.${i}.bias`] = tf.tensor1d(
      Float32Array.from(hashUniform(o, 2 * i + 1).map((u) => u * 0.05)),
    );
    c = o;
    i += 2; // the conv and its ReLU
  }
  return dict;
}

/** A `Vgg19` up to `lastLayer` with make_fixtures.py's deterministic weights. */
export function deterministicVgg(lastLayer = 28): Vgg19 {
  const net = new Vgg19({ lastLayer });
  const dict = deterministicStateDict(lastLayer);
  try {
    net.loadStateDict(dict);
  } finally {
    tf.dispose(Object.values(dict));
  }
  return net;
}

/** The fixture's preprocessed images as `[1, H, W, 3]` tensors. */
export function fixtureImages(): { content: tf.Tensor4D; style: tf.Tensor4D } {
  const f = fixture();
  const [h, w] = f.size;
  return {
    content: tf.tensor4d(f.contentX, [1, h, w, 3]),
    style: tf.tensor4d(f.styleX, [1, h, w, 3]),
  };
}
