// Test helpers (not exported): the golden fixture and the deterministic VGG-19 weights of
// fixtures/make_fixtures.py.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { deterministicStateDict as stateDictOf } from '../fixtures/deterministic-vgg.mjs';
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

export { hashUniform } from '../fixtures/deterministic-vgg.mjs';

/** The deterministic state dict of make_fixtures.py for `features[0..lastLayer]` (PyTorch layout). */
export function deterministicStateDict(lastLayer: number): Record<string, tf.Tensor> {
  return stateDictOf(tf, VGG19_CONFIG, lastLayer);
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
