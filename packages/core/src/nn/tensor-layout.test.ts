import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import {
  CONV_TRANSPOSE2D_WEIGHT_LAYOUT,
  CONV2D_WEIGHT_LAYOUT,
  IDENTITY_LAYOUT,
  LINEAR_WEIGHT_LAYOUT,
  permutedLayout,
} from './tensor-layout.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('tensor layouts', () => {
  it('converts OIHW to HWIO and back (element by element)', () => {
    const oihw = tf.range(0, 2 * 3 * 4 * 5).reshape([2, 3, 4, 5]); // [O, I, H, W]
    const hwio = CONV2D_WEIGHT_LAYOUT.fromTorch(oihw);
    expect(hwio.shape).toEqual([4, 5, 3, 2]);
    const a = oihw.arraySync() as number[][][][];
    const b = hwio.arraySync() as number[][][][];
    expect(b[3]![1]![2]![1]).toBe(a[1]![2]![3]![1]);
    expect(CONV2D_WEIGHT_LAYOUT.torchShape(hwio.shape)).toEqual([2, 3, 4, 5]);
    const back = CONV2D_WEIGHT_LAYOUT.toTorch(hwio);
    expect(Array.from(back.dataSync())).toEqual(Array.from(oihw.dataSync()));
    tf.dispose([oihw, hwio, back]);
  });

  it('converts Linear [out, in] ↔ [in, out] and ConvTranspose [in, out, kh, kw] ↔ [kh, kw, out, in]', () => {
    expect(LINEAR_WEIGHT_LAYOUT.torchShape([5, 3])).toEqual([3, 5]);
    expect(CONV_TRANSPOSE2D_WEIGHT_LAYOUT.torchShape([3, 3, 8, 16])).toEqual([16, 8, 3, 3]);
    const w = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const t = LINEAR_WEIGHT_LAYOUT.fromTorch(w);
    expect(t.arraySync()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    const same = IDENTITY_LAYOUT.toTorch(w);
    expect(same).not.toBe(w);
    tf.dispose([w, t, same]);
  });

  it('validates permutations and ranks', () => {
    expect(() => permutedLayout('bad', [0, 0])).toThrow(
      /permutedLayout\(bad\): fromTorchPerm \[0,0\] is not a permutation of 0\.\.1/,
    );
    expect(() => CONV2D_WEIGHT_LAYOUT.torchShape([3, 3])).toThrow(
      /HWIO \(PyTorch OIHW\) layout: shape \[3,3\] has rank 2, expected rank 4/,
    );
  });
});
