import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../testing/index.js';
import { CONV_CASES, convFilterShape, convName } from '../wasm/conv-cases.js';
import { dyadic } from '../wasm/parity-helpers.js';
import { chooseTile, emulateFilterGradPlan, planConv2dBackpropFilter, TILE_K } from './plan.js';

const geometry = (
  x: [number, number, number, number],
  f: [number, number, number, number],
  s = 1,
  pad: 'same' | 'valid' = 'same',
) => tf.backend_util.computeConv2DInfo(x, f, s, 1, pad);

/** dW by the definition, in float64: Σ_{b,oh,ow} xpad[b, oh·s+kh, ow·s+kw, ci] · dy[b, oh, ow, co]. */
function directFilterGrad(g: tf.backend_util.Conv2DInfo, x: Float32Array, dy: Float32Array): Float64Array {
  const out = new Float64Array(g.filterHeight * g.filterWidth * g.inChannels * g.outChannels);
  for (let b = 0; b < g.batchSize; b++)
    for (let oh = 0; oh < g.outHeight; oh++)
      for (let ow = 0; ow < g.outWidth; ow++)
        for (let kh = 0; kh < g.filterHeight; kh++)
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const ih = oh * g.strideHeight + kh - g.padInfo.top;
            const iw = ow * g.strideWidth + kw - g.padInfo.left;
            if (ih < 0 || ih >= g.inHeight || iw < 0 || iw >= g.inWidth) continue;
            for (let ci = 0; ci < g.inChannels; ci++) {
              const xv = x[((b * g.inHeight + ih) * g.inWidth + iw) * g.inChannels + ci]!;
              for (let co = 0; co < g.outChannels; co++) {
                out[((kh * g.filterWidth + kw) * g.inChannels + ci) * g.outChannels + co]! +=
                  xv * dy[((b * g.outHeight + oh) * g.outWidth + ow) * g.outChannels + co]!;
              }
            }
          }
  return out;
}

describe('planConv2dBackpropFilter', () => {
  it('picks the largest tile that pads at most 1/8 more than the tightest', () => {
    expect(chooseTile(288)).toBe(64); // 5 x 64 = 320 ≤ 288 · 1.125
    expect(chooseTile(144)).toBe(32); // 160, where 64 would pad to 192
    expect(chooseTile(256)).toBe(64);
    expect(chooseTile(32)).toBe(32);
    expect(chooseTile(27)).toBe(32); // 3x3x3
    expect(chooseTile(16)).toBe(16);
    expect(chooseTile(1)).toBe(16);
    expect(chooseTile(1152)).toBe(64);
  });

  it('splits the 9.7-GFLOP gradient of the issue (x [32,128,128,32], 3x3x32x32) over ~1000 workgroups', () => {
    const p = planConv2dBackpropFilter(geometry([32, 128, 128, 32], [3, 3, 32, 32]));
    expect({ M: p.M, N: p.N, K: p.K }).toEqual({ M: 288, N: 32, K: 524288 });
    expect([p.tileM, p.tileN, p.tileK]).toEqual([64, 32, 16]);
    expect(p.workgroupSize).toEqual([8, 16, 1]);
    expect(p.dispatch[0] * p.dispatch[1]).toBe(5);
    expect(p.dispatch[2]).toBe(p.splits);
    expect(p.splits * 5).toBeGreaterThanOrEqual(1000);
    expect(p.chunk % TILE_K).toBe(0);
    expect(p.splits * p.chunk).toBeGreaterThanOrEqual(p.K);
    expect((p.splits - 1) * p.chunk).toBeLessThan(p.K);
    expect(p.overhead).toBeLessThan(1.12); // 320 of 288 rows
  });

  it('covers every K exactly once for awkward sizes, and caps the partial buffer', () => {
    for (const [x, f] of [
      [
        [1, 5, 5, 1],
        [1, 1, 1, 1],
      ],
      [
        [3, 7, 9, 5],
        [3, 3, 5, 7],
      ],
      [
        [32, 256, 256, 3],
        [3, 3, 3, 16],
      ],
      [
        [32, 8, 8, 128],
        [3, 3, 128, 128],
      ],
    ] as const) {
      const p = planConv2dBackpropFilter(geometry([...x], [...f]));
      expect(p.splits * p.chunk).toBeGreaterThanOrEqual(p.K);
      expect((p.splits - 1) * p.chunk).toBeLessThan(p.K);
      expect(p.workgroupSize[0] * p.workgroupSize[1]).toBeLessThanOrEqual(256);
    }
    const capped = planConv2dBackpropFilter(geometry([32, 64, 64, 64], [3, 3, 64, 64]), {
      maxPartialElements: 576 * 64 * 10,
    });
    expect(capped.splits).toBeLessThanOrEqual(10);
    const one = planConv2dBackpropFilter(geometry([1, 2, 2, 64], [1, 1, 64, 64], 1, 'valid'));
    expect(one.splits).toBe(1);
    // Short reductions get few splits (≥ 256 rows each by default).
    const short = planConv2dBackpropFilter(geometry([8, 32, 32, 16], [3, 3, 16, 32]));
    expect(short.splits).toBe(32);
    expect(
      planConv2dBackpropFilter(geometry([8, 32, 32, 16], [3, 3, 16, 32]), { minChunk: 16 }).splits,
    ).toBeGreaterThan(100);
  });

  it('rejects dilation and sizes beyond 32-bit indices, naming the function', () => {
    const g = geometry([1, 8, 8, 2], [3, 3, 2, 2]);
    expect(() => planConv2dBackpropFilter({ ...g, dilationHeight: 2 })).toThrow(
      /planConv2dBackpropFilter: dilations must be 1/,
    );
    expect(() => planConv2dBackpropFilter({ ...g, batchSize: 2 ** 20, inHeight: 2 ** 12 })).toThrow(
      /planConv2dBackpropFilter: x size .* exceeds 2\^31/,
    );
    expect(() => planConv2dBackpropFilter({ ...g, inChannels: 0 })).toThrow(
      /geometry.inChannels must be a positive integer, got 0/,
    );
  });
});

describe('the plan executed on the CPU (same tiling and index arithmetic as the WGSL program)', () => {
  // Small targetWorkgroups so that these tiny problems still get several splits, tail chunks and edge tiles.
  it.each(CONV_CASES.map((c, i) => [convName(c), c, i] as const))('equals the direct sum: %s', (_, c, i) => {
    const g = tf.backend_util.computeConv2DInfo(c.x, convFilterShape(c), c.strides, 1, c.pad, c.round);
    const x = dyadic(
      c.x.reduce((a, d) => a * d, 1),
      10 + i,
    );
    const dy = dyadic(g.batchSize * g.outHeight * g.outWidth * g.outChannels, 20 + i);
    for (const targetWorkgroups of [1, 7]) {
      const plan = planConv2dBackpropFilter(g, { targetWorkgroups, minChunk: TILE_K });
      const got = emulateFilterGradPlan(g, plan, x, dy);
      // Dyadic inputs: float32 sums are exact, so any tiling or index slip shows as a difference.
      expectClose(Array.from(got), Array.from(directFilterGrad(g, x, dy)), {
        rtol: 0,
        atol: 0,
        what: convName(c),
      });
    }
  });
});
