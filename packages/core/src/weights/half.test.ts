// Fixtures: fixtures/weights/expected.json (sha256 digests of torch 1.13's .float() of all 65,536 F16 and BF16
// bit patterns) and rounding.safetensors (F32 inputs with torch's .half() and .bfloat16() of them), both made by
// fixtures/weights/make_safetensors.py.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat32,
  float32BitsToBfloat16Bits,
  float32BitsToHalfBits,
  float32ToBfloat16Bits,
  float32ToHalfBits,
  halfBitsToFloat32,
  halfBitsToFloat32Bits,
} from './half.js';
import { parseSafetensors } from './parse-safetensors.js';

const dir = new URL('../../fixtures/weights/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as Record<string, unknown>;
const allPatterns = () => Uint16Array.from({ length: 65536 }, (_, i) => i);
const sha256 = (a: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
const f32Bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0]!;

describe('half and bfloat16 widening', () => {
  it('matches torch .float() on all 65,536 F16 bit patterns, bit for bit (NaN payloads quieted as torch does)', () => {
    expect(sha256(halfBitsToFloat32(allPatterns()))).toBe(expected.f16_all_patterns_sha256);
  });

  it('matches torch .float() on all 65,536 BF16 bit patterns', () => {
    expect(sha256(bfloat16BitsToFloat32(allPatterns()))).toBe(expected.bf16_all_patterns_sha256);
  });

  it('handles zeros, subnormals, infinities and NaNs', () => {
    const cases: [number, number][] = [
      [0x0000, 0x00000000],
      [0x8000, 0x80000000],
      [0x0001, 0x33800000], // 2^-24, the smallest subnormal
      [0x03ff, 0x387fc000], // the largest subnormal
      [0x0400, 0x38800000], // 2^-14, the smallest normal
      [0x7bff, 0x477fe000], // 65504
      [0x7c00, 0x7f800000],
      [0xfc00, 0xff800000],
      [0x7e00, 0x7fc00000],
      [0x7c01, 0x7fc02000], // signalling NaN: quiet bit set, payload kept
    ];
    for (const [h, f] of cases)
      expect(halfBitsToFloat32Bits(h).toString(16), h.toString(16)).toBe(f.toString(16));
  });
});

describe('float32 narrowing to F16 and BF16', () => {
  const parsed = parseSafetensors(readFileSync(new URL('rounding.safetensors', dir)));
  const input = parsed.tensors.get('input')!.data as Float32Array;

  for (const [target, narrow, widen] of [
    ['as_f16', float32ToHalfBits, halfBitsToFloat32],
    ['as_bf16', float32ToBfloat16Bits, bfloat16BitsToFloat32],
  ] as const) {
    it(`rounds like torch's ${target === 'as_f16' ? '.half()' : '.bfloat16()'} (ties to even, overflow, subnormals) on ${input.length} values`, () => {
      const want = parsed.tensors.get(target)!.data as Float32Array; // torch's result, widened exactly
      const got = widen(narrow(input));
      const gotBits = new Uint32Array(got.buffer);
      const wantBits = new Uint32Array(want.buffer);
      let nan = 0;
      const bad: string[] = [];
      for (let i = 0; i < input.length; i++) {
        if (Number.isNaN(input[i]!)) {
          nan++;
          if (!Number.isNaN(got[i]!)) bad.push(`#${i}: NaN → ${got[i]}`);
        } else if (gotBits[i] !== wantBits[i]) {
          bad.push(`#${i}: ${input[i]} → ${got[i]}, torch ${want[i]}`);
        }
      }
      expect(bad.slice(0, 5)).toEqual([]);
      expect(nan).toBe((expected.rounding as { nan_inputs: number }).nan_inputs);
    });
  }

  it('handles the edge cases by hand', () => {
    const h = (x: number) => float32BitsToHalfBits(f32Bits(x));
    expect(h(65504)).toBe(0x7bff);
    expect(h(65519)).toBe(0x7bff);
    expect(h(65520)).toBe(0x7c00); // the tie past 65504 rounds to even: infinity
    expect(h(-1e10)).toBe(0xfc00);
    expect(h(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24: even 0
    expect(h(1.5 * 2 ** -25)).toBe(0x0001);
    expect(h(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 ulps: even 2
    expect(h(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the smallest normal
    expect(h(1 + 2 ** -11)).toBe(0x3c00); // tie: even
    expect(h(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(h(-0)).toBe(0x8000);
    expect(h(Number.NaN)).toBe(0x7e00);
    const b = (x: number) => float32BitsToBfloat16Bits(f32Bits(x));
    expect(b(1 + 2 ** -8)).toBe(0x3f80); // tie: even
    expect(b(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(b(3.4028234663852886e38)).toBe(0x7f80); // float32 max rounds to infinity
    expect(b(-Infinity)).toBe(0xff80);
    expect(b(Number.NaN)).toBe(0x7fc0);
  });
});
