import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiScaleRoIAlign, mapRoIsToLevels, multiScaleRoIAlign } from './multi-scale-roi-align.js';
import { roiAlign } from './roi-align.js';
import { fixtures } from './test-utils/fixtures.js';
import { PATHS, usePath } from './test-utils/paths.js';

// Golden values: fixtures/make_fixtures.py (torchvision.ops.MultiScaleRoIAlign over three levels).
const m = fixtures.multiScale;

for (const backend of await testBackends()) {
  for (const path of PATHS) {
    describe(`multiScaleRoIAlign (${backend}, ${path})`, () => {
      beforeAll(() => {
        usePath(path);
        return initBackend(backend, { log: false });
      });

      it("maps RoIs to torchvision's levels", () => {
        const values = Float32Array.from(m.rois.flat());
        expect(
          Array.from(mapRoIsToLevels(values, m.rois.length, m.scales, m.canonicalScale, m.canonicalLevel)),
        ).toEqual(m.levels);
        // the fixture uses every level
        expect(new Set(m.levels).size).toBe(3);
      });

      it('matches torchvision forward and backward (scales inferred from the image size)', () => {
        tf.tidy(() => {
          const levels = m.features.map((f, i) => tf.tensor4d(f, m.featuresShapes[i]!));
          const dy = tf.tensor(m.dy, m.outShape);
          const options = {
            samplingRatio: m.samplingRatio,
            imageSize: m.imageSize,
            canonicalScale: m.canonicalScale,
            canonicalLevel: m.canonicalLevel,
          };
          const f = (...xs: tf.Tensor[]) =>
            multiScaleRoIAlign(xs as tf.Tensor4D[], m.rois, m.outputSize, options);
          expectClose(f(...levels), tf.tensor(m.out, m.outShape), { atol: 1e-5, rtol: 1e-5, what: 'out' });
          const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(levels);
          grads.forEach((g, i) => {
            expectClose(g, tf.tensor(m.dx[i]!, m.featuresShapes[i]!), {
              atol: 1e-5,
              rtol: 1e-5,
              what: `dx level ${i}`,
            });
          });
          // explicit scales and the module give the same
          const pooler = new MultiScaleRoIAlign(m.outputSize, options);
          expectClose(pooler.apply(levels, m.rois, [m.imageSize, [10, 10]]), f(...levels));
          expectClose(
            multiScaleRoIAlign(levels, m.rois, m.outputSize, {
              ...options,
              imageSize: undefined,
              scales: m.scales,
            }),
            f(...levels),
          );
        });
      });

      it('is roiAlign at the level scale for one level; zeros for boxes of negative area', () => {
        tf.tidy(() => {
          const x = tf.randomNormal([2, 8, 6, 3]) as tf.Tensor4D;
          const rois = [
            [0, 1, 2, 20, 30],
            [1, 10, 10, 5, 40],
          ];
          const one = multiScaleRoIAlign([x], rois, 2, { samplingRatio: 2, imageSize: [32, 24] });
          expectClose(one, roiAlign(x, rois, 2, { spatialScale: 0.25, samplingRatio: 2 }));
          const two = multiScaleRoIAlign([x, tf.randomNormal([2, 4, 3, 3]) as tf.Tensor4D], rois, 2, {
            samplingRatio: 2,
            scales: [0.25, 0.125],
          });
          expect(Array.from(tf.slice(two, [1, 0, 0, 0], [1, 2, 2, 3]).dataSync()).every((v) => v === 0)).toBe(
            true,
          );
        });
      });

      it('leaks no tensor (forward and gradient)', async () => {
        const levels = m.features.map((f, i) => tf.tensor4d(f, m.featuresShapes[i]!));
        const f = (...xs: tf.Tensor[]) =>
          multiScaleRoIAlign(xs as tf.Tensor4D[], m.rois, 3, { samplingRatio: 2, imageSize: m.imageSize });
        await expectNoLeaks(() => f(...levels));
        await expectNoLeaks(() => tf.grads((...xs: tf.Tensor[]) => tf.sum(f(...xs)))(levels));
        tf.dispose(levels);
      });
    });
  }
}

describe('multiScaleRoIAlign input errors', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('names bad levels, sizes and options', () => {
    const a = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
    const b = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    const opts = { samplingRatio: 2, imageSize: [32, 32] as [number, number] };
    expect(() => multiScaleRoIAlign([], [], 2, opts)).toThrow(
      /multiScaleRoIAlign: features must be a non-empty array/,
    );
    expect(() => multiScaleRoIAlign([a, b], [], 2, opts)).toThrow(/features\[1\] has shape \[1,4,4,3\]/);
    expect(() => multiScaleRoIAlign([a], [], 2, { imageSize: [32, 32] } as never)).toThrow(
      /multiScaleRoIAlign: samplingRatio must be an integer/,
    );
    expect(() => multiScaleRoIAlign([a], [], 2, { samplingRatio: 2 })).toThrow(/give options.imageSize/);
    expect(() => multiScaleRoIAlign([a], [], 2, { samplingRatio: 2, scales: [0.5, 0.25] })).toThrow(
      /scales must be 1 finite numbers > 0/,
    );
    expect(() => multiScaleRoIAlign([a], [[0, 0, 0, 1]], 2, opts)).toThrow(
      /multiScaleRoIAlign: rois must have shape/,
    );
    expect(() => multiScaleRoIAlign([a], [[2, 0, 0, 1, 1]], 2, opts)).toThrow(
      /rois\[0\]\[0\] \(batch index\)/,
    );
  });
});
