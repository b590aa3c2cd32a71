// Reference: a naive loop (below) that sends each window's gradient to its first maximum, row-major, as
// PyTorch's max_pool2d backward does; golden PyTorch comparisons are in max-pool2d.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks, testBackends } from '../testing/index.js';
import { maxPoolFirstMax } from './max-pool-first-max.js';

/** y and dx of sum(maxPool(x)·g) by loops; x `[1, H, W, 1]` flattened. */
function naive(x: number[], H: number, W: number, k: [number, number], s: [number, number], g: number[]) {
  const oh = Math.floor((H - k[0]) / s[0]) + 1;
  const ow = Math.floor((W - k[1]) / s[1]) + 1;
  const y: number[] = [];
  const dx = new Array<number>(H * W).fill(0);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      let best = -1;
      for (let a = 0; a < k[0]; a++) {
        for (let b = 0; b < k[1]; b++) {
          const p = (i * s[0] + a) * W + j * s[1] + b;
          if (best < 0 || x[p]! > x[best]!) best = p;
        }
      }
      y.push(x[best]!);
      dx[best]! += g[i * ow + j]!;
    }
  }
  return { y, dx, oh, ow };
}

for (const backend of await testBackends()) {
  describe(`maxPoolFirstMax on ${backend}`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    const cases: Array<{
      name: string;
      H: number;
      W: number;
      k: [number, number];
      s: [number, number];
      x: (i: number) => number;
    }> = [
      {
        name: 'all-negative windows, overlapping 3x3/2',
        H: 7,
        W: 6,
        k: [3, 3],
        s: [2, 2],
        x: (i) => -1 - ((i * 37) % 23),
      },
      { name: 'ties (integer values), 2x2/2', H: 4, W: 6, k: [2, 2], s: [2, 2], x: (i) => (i * 5) % 3 },
      {
        name: 'ties and -Infinity, 3x2/(1,2)',
        H: 5,
        W: 5,
        k: [3, 2],
        s: [1, 2],
        x: (i) => (i % 4 === 0 ? Number.NEGATIVE_INFINITY : (i * 7) % 4) - 2,
      },
      {
        name: 'random, 3x3/1',
        H: 5,
        W: 6,
        k: [3, 3],
        s: [1, 1],
        x: (i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453) - 0.5,
      },
    ];
    for (const c of cases) {
      it(`sends the gradient to the first maximum: ${c.name}`, () => {
        const xs = Array.from({ length: c.H * c.W }, (_, i) => Math.fround(c.x(i)));
        const ref0 = naive(xs, c.H, c.W, c.k, c.s, []);
        const gs = Array.from({ length: ref0.oh * ref0.ow }, (_, i) => 1 + i);
        const ref = naive(xs, c.H, c.W, c.k, c.s, gs);
        const x = tf.tensor4d(xs, [1, c.H, c.W, 1]);
        const g = tf.tensor4d(gs, [1, ref.oh, ref.ow, 1]);
        const y = maxPoolFirstMax(x, c.k, c.s);
        expectClose(y, tf.tensor4d(ref.y, [1, ref.oh, ref.ow, 1]), { what: 'y' });
        const dx = tf.grad((xi: tf.Tensor) =>
          tf.sum(tf.mul(maxPoolFirstMax(xi as tf.Tensor4D, c.k, c.s), g)),
        )(x);
        expect(Array.from(dx.dataSync())).toEqual(ref.dx);
        tf.dispose([x, g, y, dx]);
      });
    }

    it('handles several images and channels independently', () => {
      const x = tf.randomNormal([2, 5, 4, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
      const dx = tf.grad((xi: tf.Tensor) => tf.sum(maxPoolFirstMax(xi as tf.Tensor4D, [2, 2], [1, 2])))(x);
      const xs = x.arraySync() as number[][][][];
      const dxs = dx.arraySync() as number[][][][];
      for (let n = 0; n < 2; n++) {
        for (let ch = 0; ch < 3; ch++) {
          const flat = xs[n]!.flatMap((row) => row.map((px) => px[ch]!));
          const ref = naive(flat, 5, 4, [2, 2], [1, 2], new Array(8).fill(1));
          expect(dxs[n]!.flatMap((row) => row.map((px) => px[ch]!))).toEqual(ref.dx);
        }
      }
      tf.dispose([x, dx]);
    });

    it('leaks nothing in forward and in a gradient step', async () => {
      const x = tf.variable(tf.randomNormal([1, 6, 6, 2]));
      await expectNoLeaks(() => maxPoolFirstMax(x as tf.Tensor as tf.Tensor4D, [3, 3], [2, 2]).dispose(), {
        what: 'forward',
      });
      await expectNoLeaks(
        () => {
          const { value, grads } = tf.variableGrads(
            () => tf.sum(maxPoolFirstMax(x as tf.Tensor as tf.Tensor4D, [3, 3], [2, 2])) as tf.Scalar,
            [x],
          );
          tf.dispose([value, ...Object.values(grads)]);
        },
        { what: 'variableGrads' },
      );
      x.dispose();
    });
  });
}
