import { Conv2d, initBackend, MaxPool2d, ReLU } from '@cv/core';
import { expectNoLeaks } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './test-utils.js';
import { VGG19_LAYER_KINDS, VGG19_LAYER_NAMES, VGG19_NUM_LAYERS, Vgg19 } from './vgg19.js';

describe('Vgg19', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it("has torchvision's 37 feature layers and names", () => {
    expect(VGG19_NUM_LAYERS).toBe(37);
    expect(VGG19_LAYER_KINDS.filter((k) => k === 'conv')).toHaveLength(16);
    expect(VGG19_LAYER_NAMES[0]).toBe('conv1_1');
    expect(VGG19_LAYER_NAMES[25]).toBe('conv4_4');
    expect(VGG19_LAYER_NAMES[28]).toBe('conv5_1');
    expect(VGG19_LAYER_NAMES[36]).toBe('pool5');
  });

  it("state dict keys and shapes equal torchvision's vgg19().features", () => {
    const net = new Vgg19();
    try {
      const torch = fixture().vgg19StateDict.filter(([k]) => k.startsWith('features.'));
      // HWIO → PyTorch's OIHW shapes (the layout stateDict() converts to).
      const ours = net
        .namedParameters()
        .map(([k, v]) => [k, v.rank === 4 ? [v.shape[3], v.shape[2], v.shape[0], v.shape[1]] : v.shape]);
      expect(ours).toEqual(torch);
    } finally {
      net.dispose();
    }
  });

  it('builds only the layers up to lastLayer', () => {
    const net = new Vgg19({ lastLayer: 28 });
    try {
      expect(net.numLayers).toBe(29);
      expect(net.layer(28)).toBeInstanceOf(Conv2d);
      expect(net.layer(27)).toBeInstanceOf(MaxPool2d);
      expect(net.layer(26)).toBeInstanceOf(ReLU);
      const keys = net.namedParameters().map(([k]) => k);
      expect(keys.at(-1)).toBe('features.28.bias');
      expect(keys).toHaveLength(26);
      expect(() => net.layer(29)).toThrow(/Vgg19.layer: index 29 is not a built layer \(0–28\)/);
    } finally {
      net.dispose();
    }
    expect(() => new Vgg19({ lastLayer: 37 })).toThrow(/lastLayer must be an integer in \[0, 36\], got 37/);
  });

  it('initialises like torchvision (kaiming normal fan_out, zero bias), seeded', () => {
    const a = new Vgg19({ lastLayer: 2, seed: 5 });
    const b = new Vgg19({ lastLayer: 2, seed: 5 });
    try {
      const w = a.layer(2) as Conv2d;
      const std = tf.tidy(() => tf.moments(w.weight).variance.sqrt().dataSync()[0]!);
      expect(std).toBeCloseTo(Math.sqrt(2 / (9 * 64)), 3);
      expect(tf.tidy(() => tf.max(tf.abs(w.bias!)).dataSync()[0])).toBe(0);
      expect(
        tf.tidy(
          () =>
            tf
              .sub(w.weight, (b.layer(2) as Conv2d).weight)
              .abs()
              .max()
              .dataSync()[0],
        ),
      ).toBe(0);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('forward gives the last layer and leaks nothing', async () => {
    const net = new Vgg19({ lastLayer: 4 });
    try {
      const x = tf.randomNormal([1, 8, 12, 3]);
      const y = await expectNoLeaks(() => net.apply(x));
      expect(y.shape).toEqual([1, 4, 6, 64]);
      tf.dispose([x, y]);
    } finally {
      net.dispose();
    }
  });
});
