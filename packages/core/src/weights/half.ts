/**
 * IEEE 754 half precision (F16) and bfloat16 (BF16) ⇄ float32, bit-exact with PyTorch 1.13 on CPU:
 * - widening is exact for every value; signed zeros, subnormals and infinities are kept, and NaNs keep their
 *   sign and payload with the quiet bit set (as torch's `.float()` does, e.g. F16 0x7C01 → 0x7FC02000);
 * - narrowing rounds to nearest, ties to even, overflows to ±inf, and produces subnormals; NaN becomes the
 *   quiet NaN sign|0x7E00 (F16, as torch) or 0x7FC0 (BF16, as c10::BFloat16's scalar conversion).
 */

let halfTable: Uint32Array | undefined;

/** The float32 bit pattern (as an unsigned number) of the F16 value with bit pattern `h` (0..65535). */
export function halfBitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  let bits: number;
  if (e === 0) {
    if (m === 0) {
      bits = sign;
    } else {
      // Subnormal m·2^-24: normalize on its highest set bit p, so the value is 2^(p-24)·(1.rest).
      const p = 31 - Math.clz32(m);
      bits = sign | ((p + 103) << 23) | ((m ^ (1 << p)) << (23 - p));
    }
  } else if (e === 31) {
    bits = sign | 0x7f800000 | (m === 0 ? 0 : 0x400000 | (m << 13));
  } else {
    bits = sign | ((e + 112) << 23) | (m << 13);
  }
  return bits >>> 0;
}

/** Widens F16 bit patterns to float32 values (exact; a 65,536-entry table built on first use). */
export function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBitsToFloat32Bits(h);
  }
  const table = halfTable;
  const out = new Float32Array(bits.length);
  const out32 = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) out32[i] = table[bits[i]!]!;
  return out;
}

/** Widens BF16 bit patterns to float32 values (exact: the upper 16 bits of the float32). */
export function bfloat16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const out32 = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) out32[i] = bits[i]! << 16;
  return out;
}

/** The F16 bit pattern nearest (ties to even) to the float32 with bit pattern `x`. */
export function float32BitsToHalfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const abs = x & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00; // NaN
  if (abs >= 0x477ff000) return sign | 0x7c00; // inf, or ≥ 65520 which rounds past 65504
  if (abs >= 0x38800000) {
    // Normal half: rebias the exponent (127 → 15) and drop 13 mantissa bits, rounding ties to even.
    let h = (abs - 0x38000000) >>> 13;
    const rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  if (abs <= 0x33000000) return sign; // ≤ 2^-25 rounds to (signed) zero; 2^-25 itself is a tie to even 0
  // Subnormal half k·2^-24: k = round(mantissa·2^(e-126)), e the float32's biased exponent (102..112).
  const e = abs >>> 23;
  const mant = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - e;
  let k = mant >>> shift;
  const rest = mant & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (k & 1) === 1)) k++;
  return sign | k; // k = 0x400 is the smallest normal, which is the right pattern
}

/** The BF16 bit pattern nearest (ties to even) to the float32 with bit pattern `x`. */
export function float32BitsToBfloat16Bits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN
  // No overflow past 2^32: only NaN patterns are ≥ 0xffff8000.
  return ((x >>> 0) + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/** Narrows float32 values to F16 bit patterns (round to nearest even). */
export function float32ToHalfBits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToHalfBits(bits[i]!);
  return out;
}

/** Narrows float32 values to BF16 bit patterns (round to nearest even). */
export function float32ToBfloat16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToBfloat16Bits(bits[i]!);
  return out;
}
