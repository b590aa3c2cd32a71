import { describe, expect, it } from 'vitest';
import { convTranspose2dOutputSize, outputPaddingFor } from './output-size.js';
import { readFixture } from './test-utils.js';

describe('convTranspose2dOutputSize', () => {
  it("gives the FCN head's 32x upsampling: [10, 15] → [320, 480] with k64 s32 p16 (d2l 13.11.1)", () => {
    expect(convTranspose2dOutputSize([10, 15], 64, { stride: 32, padding: 16 })).toEqual([320, 480]);
  });

  it("gives the seed's shapes: k2 → 3x3, k2 p1 → 1x1, k2 s2 → 4x4 from 2x2; k5 p2 s3 gives back 16 from 6", () => {
    expect(convTranspose2dOutputSize(2, 2)).toEqual([3, 3]);
    expect(convTranspose2dOutputSize(2, 2, { padding: 1 })).toEqual([1, 1]);
    expect(convTranspose2dOutputSize(2, 2, { stride: 2 })).toEqual([4, 4]);
    const seed = readFixture<{ convShape: number[] }>('seed.json');
    expect(seed.convShape).toEqual([1, 20, 6, 6]);
    expect(convTranspose2dOutputSize(6, 5, { stride: 3, padding: 2 })).toEqual([16, 16]);
  });

  it('follows (H−1)·s − 2p + d·(k−1) + op + 1 per axis, pairs included', () => {
    expect(
      convTranspose2dOutputSize([4, 5], [3, 2], {
        stride: [2, 3],
        padding: [1, 0],
        outputPadding: [1, 2],
        dilation: [1, 2],
      }),
    ).toEqual([3 * 2 - 2 + 2 + 1 + 1, 4 * 3 - 0 + 2 * 1 + 2 + 1]);
  });

  it('rejects impossible geometry, naming the argument', () => {
    expect(() => convTranspose2dOutputSize(2, 2, { padding: 2 })).toThrow(/output would be -1x-1/);
    expect(() => convTranspose2dOutputSize(2, 2, { stride: 2, outputPadding: 2 })).toThrow(
      /outputPadding 2 must be smaller than the stride or the dilation/,
    );
    expect(convTranspose2dOutputSize(2, 2, { dilation: 3, outputPadding: 2 })).toEqual([7, 7]);
    expect(() => convTranspose2dOutputSize([2, 0], 2)).toThrow(/inputSize must be an integer ≥ 1/);
    expect(() => convTranspose2dOutputSize(2, [2, 2, 2] as never)).toThrow(
      /kernelSize must be an integer ≥ 1 or a pair/,
    );
  });
});

describe('outputPaddingFor (ConvTranspose2d.forward(x, outputSize))', () => {
  const geo = {
    kernelSize: [3, 3] as [number, number],
    stride: [2, 2] as [number, number],
    padding: [1, 1] as [number, number],
    dilation: [1, 1] as [number, number],
  };
  it('picks output − minimum, within minimum … minimum + stride − 1', () => {
    expect(outputPaddingFor('t', [4, 4], [7, 8], geo)).toEqual([0, 1]);
    expect(() => outputPaddingFor('t', [4, 4], [9, 8], geo)).toThrow(
      /height can be 7 to 8 \(stride 2\), got 9/,
    );
  });
});
