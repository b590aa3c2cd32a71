import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepestLayer, extractFeatures } from './extract-features.js';
import { gram } from './gram.js';
import { deterministicVgg, type FeatureSummary, fixture, fixtureImages } from './test-utils.js';
import type { Vgg19 } from './vgg19.js';

function expectSummary(x: tf.Tensor, s: FeatureSummary, what: string): void {
  expect(x.shape).toEqual(s.shape);
  const data = x.dataSync();
  let sum = 0;
  let sumSq = 0;
  for (const v of data) {
    sum += v;
    sumSq += v * v;
  }
  const sample: number[] = [];
  for (let i = 0; i < data.length; i += s.stride) sample.push(data[i]!);
  const scale = Math.sqrt(s.sumSq / data.length); // RMS: the scale of the values
  expectClose(sample, s.sample, { rtol: 1e-4, atol: 1e-4 * scale, what: `${what} sample` });
  expectClose(sumSq, s.sumSq, { rtol: 1e-4, what: `${what} sum of squares` });
  expectClose(sum, s.sum, { rtol: 1e-4, atol: 1e-4 * scale * Math.sqrt(data.length), what: `${what} sum` });
}

for (const backend of await testBackends()) {
  describe(`extractFeatures (${backend})`, () => {
    let net: Vgg19;
    let images: ReturnType<typeof fixtureImages>;
    beforeAll(async () => {
      await initBackend(backend, { log: false });
      net = deterministicVgg(28);
      images = fixtureImages();
    });
    afterAll(() => {
      net.dispose();
      tf.dispose([images.content, images.style]);
    });

    it("matches PyTorch's d2l extract_features (in-place ReLUs) at every layer used", async () => {
      const f = fixture();
      const c = await expectNoLeaks(() =>
        extractFeatures(net, images.content, f.contentLayers, f.styleLayers),
      );
      const s = extractFeatures(net, images.style, f.contentLayers, f.styleLayers);
      try {
        for (const [i, l] of f.contentLayers.entries())
          expectSummary(c.contents[i]!, f.contentFeatures[l]!, `content layer ${l}`);
        for (const [i, l] of f.styleLayers.entries())
          expectSummary(s.styles[i]!, f.styleFeatures[l]!, `style layer ${l}`);
        // Layers 0–25 are followed by a ReLU that d2l's net runs in place: the recorded values are ≥ 0.
        expect(tf.tidy(() => tf.min(s.styles[0]!).dataSync()[0])).toBeGreaterThanOrEqual(0);
        const g = tf.tidy(() => tf.reshape(gram(s.styles[0]!), [-1]));
        expectClose(g, f.styleGram0, { rtol: 1e-4, atol: 1e-6, what: 'gram of style layer 0' });
        g.dispose();
      } finally {
        tf.dispose([...c.contents, ...c.styles, ...s.contents, ...s.styles]);
      }
    });

    it("inplaceRelu: false records each layer's own output", () => {
      const f = fixture();
      const layers = [...f.styleLayers, ...f.contentLayers];
      const c = extractFeatures(net, images.content, [], layers, { inplaceRelu: false });
      try {
        for (const [i, l] of layers.entries())
          expectSummary(c.styles[i]!, f.contentFeaturesNoInplace[l]!, `raw layer ${l}`);
      } finally {
        tf.dispose(c.styles);
      }
    });
  });
}

describe('extractFeatures arguments', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  it('validates the image and the layers', () => {
    const net = deterministicVgg(5);
    const x = tf.zeros([1, 8, 8, 3]);
    try {
      expect(() => extractFeatures(net, tf.zeros([8, 8, 3]))).toThrow(
        /extractFeatures: x must be an image batch \[N, H, W, 3\], got shape \[8,8,3\]/,
      );
      expect(() => extractFeatures(net, x, [25], [0])).toThrow(
        /contentLayers contains 25, not a built layer of the network \(0–5\)/,
      );
      expect(deepestLayer([25], [0, 5, 10, 19, 28])).toBe(28);
      const r = extractFeatures(net, x, [], [5]);
      expect(r.styles[0]!.shape).toEqual([1, 4, 4, 128]);
      tf.dispose(r.styles);
    } finally {
      net.dispose();
      x.dispose();
    }
  });
});
