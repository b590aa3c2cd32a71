import { initBackend, SGD } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bilinearKernel } from './bilinear-kernel.js';
import { ConvTranspose2d, initBilinear } from './conv-transpose2d-module.js';
import { caseInputs, convFixtures, fromBase64, scaleTolerance } from './test-utils.js';

const fixtures = convFixtures();

for (const backend of await testBackends()) {
  describe(`ConvTranspose2d on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it("has PyTorch's state dict: names, [in, out/groups, kh, kw] weight, and loads a PyTorch weight as is", () => {
      // A grouped, dilated case with bias from the fixtures; its weight converted to PyTorch's layout.
      const c = fixtures.cases.find(
        (k) => k.groups === 2 && k.bias && k.dilation[0] === 2 && k.stride[0] > 1,
      )!;
      const layer = new ConvTranspose2d(c.inChannels, c.outChannels, c.kernelSize, {
        stride: c.stride,
        padding: c.padding,
        outputPadding: c.outputPadding,
        dilation: c.dilation,
        groups: c.groups,
      });
      const dict = layer.stateDict();
      expect(Object.keys(dict)).toEqual(['weight', 'bias']);
      expect(dict.weight!.shape).toEqual(c.weightTorch);
      expect(layer.weight.shape).toEqual(c.filterShape);
      tf.dispose(Object.values(dict));
      tf.tidy(() => {
        const { x, filter, bias } = caseInputs(c);
        const torchWeight = tf.transpose(filter, [3, 2, 0, 1]); // what PyTorch's state dict holds
        layer.loadStateDict({ weight: torchWeight, bias: bias! });
        expectClose(layer.weight, filter, { what: 'weight after load' });
        const y = layer.apply(x);
        const yExp = tf.tensor(fromBase64(c.y), c.yShape);
        expectClose(y, yExp, { ...scaleTolerance(yExp), what: c.name });
        expect(() => layer.loadStateDict({ weight: filter, bias: bias! })).toThrow(/weight/);
      });
      layer.dispose();
    });

    it("initialises like PyTorch (uniform ±1/√((out/groups)·kh·kw)) and prints PyTorch's repr", () => {
      const layer = new ConvTranspose2d(20, 10, 5, { padding: 2, stride: 3 });
      const bound = 1 / Math.sqrt(10 * 25);
      const w = layer.weight.dataSync();
      const maxAbs = Array.from(w).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(maxAbs).toBeLessThanOrEqual(bound);
      expect(maxAbs).toBeGreaterThan(0.9 * bound);
      expect(layer.bias!.dataSync().every((v) => Math.abs(v) <= bound)).toBe(true);
      expect(layer.toString()).toBe(
        'ConvTranspose2d(20, 10, kernel_size=(5, 5), stride=(3, 3), padding=(2, 2))',
      );
      const other = new ConvTranspose2d(4, 6, [3, 2], {
        outputPadding: [1, 0],
        stride: 2,
        dilation: [1, 2],
        groups: 2,
        bias: false,
      });
      expect(other.toString()).toBe(
        'ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 2), output_padding=(1, 0), dilation=(1, 2), groups=2, bias=False)',
      );
      expect(other.weight.shape).toEqual([3, 2, 3, 4]);
      expect(other.bias).toBeNull();
      layer.dispose();
      other.dispose();
    });

    it('chooses the output padding for outputSize, like forward(input, output_size)', () => {
      const layer = new ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 });
      tf.tidy(() => {
        const x = tf.ones([1, 4, 5, 2]);
        expect(layer.apply(x).shape).toEqual([1, 7, 9, 3]);
        expect(layer.apply(x, [8, 9]).shape).toEqual([1, 8, 9, 3]);
        expect(layer.outputSize([4, 5])).toEqual([7, 9]);
        const a = layer.apply(x, [8, 10]);
        const b = new ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 });
        b.loadStateDict(layer.stateDict());
        expectClose(a, b.apply(x), { what: 'outputSize = outputPadding 1' });
        b.dispose();
        expect(() => layer.apply(x, [10, 9])).toThrow(
          /outputSize \[10,9\] is not reachable.*height can be 7 to 8 \(stride 2\), got 10/,
        );
      });
      layer.dispose();
    });

    it("sets d2l's bilinear kernel (init: 'bilinear' or initBilinear) and refuses layers it does not fit", () => {
      const layer = new ConvTranspose2d(3, 3, 4, { padding: 1, stride: 2, bias: false, init: 'bilinear' });
      tf.tidy(() => expectClose(layer.weight, bilinearKernel(3, 3, 4), { what: 'bilinear init' }));
      const again = initBilinear(new ConvTranspose2d(3, 3, 4, { stride: 2, padding: 1 }));
      tf.tidy(() => expectClose(again.weight, layer.weight));
      expect(() => initBilinear(new ConvTranspose2d(4, 4, [4, 2]))).toThrow(/kernel is 4x2/);
      expect(() => initBilinear(new ConvTranspose2d(4, 4, 4, { groups: 2 }))).toThrow(
        /groups = 1, the layer has groups 2/,
      );
      expect(() => new ConvTranspose2d(3, 2, 4, { init: 'bilinear' })).toThrow(
        /inChannels 3 and outChannels 2/,
      );
      layer.dispose();
      again.dispose();
    });

    it('rejects channel counts that groups do not divide, bad geometry and wrong inputs', () => {
      expect(() => new ConvTranspose2d(5, 4, 3, { groups: 2 })).toThrow(
        /inChannels 5 is not divisible by groups 2/,
      );
      expect(() => new ConvTranspose2d(4, 5, 3, { groups: 2 })).toThrow(
        /outChannels 5 is not divisible by groups 2/,
      );
      expect(() => new ConvTranspose2d(4, 4, 3, { stride: 2, outputPadding: 2 })).toThrow(
        /outputPadding 2 must be smaller than the stride or the dilation/,
      );
      const layer = new ConvTranspose2d(4, 4, 3);
      expect(() => layer.apply(tf.zeros([1, 3, 3, 3]))).toThrow(
        /input has 3 channels \(shape \[1,3,3,3\], NHWC\), expected 4/,
      );
      expect(() => layer.apply(tf.zeros([3, 3, 4]))).toThrow(/input must be NHWC/);
      layer.dispose();
    });

    it('trains: gradients reach weight and bias, an SGD step lowers the loss, no leaks', async () => {
      const layer = new ConvTranspose2d(2, 2, 4, { stride: 2, padding: 1 });
      const x = tf.randomNormal([2, 3, 3, 2], 0, 1, 'float32', 1);
      const target = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 2);
      const optimizer = new SGD(layer.parameters(), { lr: 0.05 });
      const loss = () => tf.mean(tf.square(tf.sub(layer.apply(x), target))) as tf.Scalar;
      const before = tf.tidy(() => loss().dataSync()[0]!);
      await expectNoLeaks(
        () => {
          for (let i = 0; i < 5; i++) {
            const { value, grads } = tf.variableGrads(loss, layer.parameters());
            expect(Object.keys(grads)).toHaveLength(2);
            optimizer.step(grads);
            tf.dispose([value, ...Object.values(grads)]);
          }
        },
        { keep: 0, what: 'training steps' },
      );
      const after = tf.tidy(() => loss().dataSync()[0]!);
      expect(after).toBeLessThan(before);
      optimizer.dispose();
      tf.dispose([x, target]);
      layer.dispose();
    });
  });
}
