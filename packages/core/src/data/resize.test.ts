import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import goldens from '../../fixtures/data/data-goldens.json';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { resize } from './resize.js';

// Goldens: fixtures/data/make_goldens.py -> data-goldens.json (torch.nn.functional.interpolate, torch 1.13).
for (const backend of ['cpu', 'wasm'] as const) {
  describe(`resize (${backend})`, () => {
    beforeAll(() => initBackend(backend, { log: false }));

    it('matches PyTorch bilinear (align_corners=False) and nearest', async () => {
      const x = tf.tensor4d(goldens.input, goldens.input_shape as [number, number, number, number]);
      for (const c of goldens.resize) {
        const size = c.size as [number, number];
        const bil = await expectNoLeaks(() => resize(x, size));
        expectClose(bil, tf.tensor(c.bilinear, c.bilinear_shape), { atol: 1e-6, what: `bilinear ${size}` });
        const near = await expectNoLeaks(() => resize(x, size, { method: 'nearest' }));
        expectClose(near, tf.tensor(c.nearest, c.nearest_shape), {
          atol: 0,
          rtol: 0,
          what: `nearest ${size}`,
        });
        tf.dispose([bil, near]);
      }
      // [H,W,C] in, [H,W,C] out.
      const single = resize(x.squeeze([0]) as tf.Tensor3D, [3, 4]);
      expectClose(single, tf.tensor(goldens.resize[0]!.bilinear, [3, 4, 2]), { atol: 1e-6 });
      tf.dispose([x, single]);
    });

    it('resizes int32 label maps with nearest and keeps the dtype', async () => {
      const labels = tf.tensor2d(goldens.label_input, [6, 9], 'int32');
      for (const c of goldens.label_resize) {
        const y = await expectNoLeaks(() =>
          resize(labels, c.size as [number, number], { method: 'nearest' }),
        );
        expect(y.dtype).toBe('int32');
        expect(y.shape).toEqual(c.size);
        expect(Array.from(y.dataSync())).toEqual(c.output);
        y.dispose();
      }
      labels.dispose();
    });
  });
}

describe('resize validation', () => {
  beforeAll(() => initBackend('cpu', { log: false }));
  it('names the bad argument', () => {
    const x = tf.zeros([2, 2, 3]) as tf.Tensor3D;
    expect(() => resize(x, [0, 2])).toThrow(
      /resize: size must be \[height, width\] of positive integers, got \[0,2\]/,
    );
    expect(() => resize(x, [2, 2], { method: 'cubic' as never })).toThrow(
      /resize: method must be 'bilinear' or 'nearest', got 'cubic'/,
    );
    expect(() => resize(tf.zeros([2]) as never, [2, 2])).toThrow(
      /resize: image must be a tensor \[H,W\], \[H,W,C\] or \[N,H,W,C\], got shape \[2\]/,
    );
    x.dispose();
  });
});
