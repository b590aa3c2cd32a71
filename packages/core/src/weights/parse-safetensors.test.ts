// Fixtures: packages/core/fixtures/weights/*.safetensors and expected.json, written straight from the format's
// specification with PyTorch 1.13 tensors by fixtures/weights/make_safetensors.py.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, SafetensorsError } from './parse-safetensors.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/weights/${name}`, import.meta.url));

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  f32_bits?: number[];
  values: (number | string)[];
}
interface ExpectedFile {
  metadata: Record<string, string>;
  tensors: Record<string, ExpectedTensor>;
}
const expected = JSON.parse(
  readFileSync(new URL('../../fixtures/weights/expected.json', import.meta.url), 'utf8'),
) as {
  files: Record<string, ExpectedFile>;
};

/** Builds a file from a header object (or raw header text) and a data section, as the spec lays it out. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), pad = true): Uint8Array {
  let text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (pad && text.length % 8) {
    const padded = new Uint8Array(Math.ceil(text.length / 8) * 8).fill(0x20);
    padded.set(text);
    text = padded;
  }
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function checkFile(name: string) {
  const want = expected.files[name]!;
  const parsed = parseSafetensors(fixture(name));
  expect(parsed.metadata).toEqual(want.metadata);
  expect([...parsed.tensors.keys()].sort()).toEqual(Object.keys(want.tensors).sort());
  for (const [key, w] of Object.entries(want.tensors)) {
    const t = parsed.tensors.get(key)!;
    expect(t.dtype, key).toBe(w.dtype);
    expect(t.shape, key).toEqual(w.shape);
    if (w.f32_bits) {
      expect(t.data, key).toBeInstanceOf(Float32Array);
      // Exact: the float32 bit patterns of torch's .float() of the stored tensor (NaN and -0 included).
      expect(Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)), key).toEqual(
        w.f32_bits,
      );
    } else {
      expect(t.data, key).toBeInstanceOf(w.dtype === 'BOOL' ? Uint8Array : Int32Array);
      expect(Array.from(t.data), key).toEqual(w.values);
    }
  }
  return parsed;
}

describe('parseSafetensors on files written from the spec by make_safetensors.py', () => {
  it('reads a PyTorch state_dict in F32 exactly, I64 num_batches_tracked included, in data order', () => {
    const parsed = checkFile('tiny_f32.safetensors');
    // The header lists names sorted; the data is in state_dict order, which the Map follows.
    expect([...parsed.tensors.keys()]).toEqual([
      'conv.weight',
      'conv.bias',
      'bn.weight',
      'bn.bias',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
      'fc.weight',
      'fc.bias',
    ]);
    const nbt = parsed.tensors.get('bn.num_batches_tracked')!;
    expect(nbt).toEqual({ dtype: 'I64', shape: [], data: Int32Array.of(1) });
    expect(parsed.tensors.get('conv.weight')!.shape).toEqual([4, 3, 3, 3]);
  });

  it('reads F16 and BF16 as float32 equal to torch .float() of the half tensors', () => {
    checkFile('tiny_f16.safetensors');
    checkFile('tiny_bf16.safetensors');
  });

  it('reads F64, every integer dtype, BOOL, a scalar, an empty tensor, F16/BF16 special values, unicode metadata', () => {
    const parsed = checkFile('dtypes.safetensors');
    expect(parsed.tensors.get('empty')).toEqual({ dtype: 'F32', shape: [0, 3], data: new Float32Array(0) });
    expect(parsed.metadata.note).toContain('ünïcödé');
  });

  it('accepts a Uint8Array at an offset inside a larger buffer, and an ArrayBuffer', () => {
    const file = fixture('tiny_f32.safetensors');
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const a = parseSafetensors(big.subarray(3));
    const b = parseSafetensors(big.slice(3).buffer);
    expect(a.tensors.get('fc.bias')).toEqual(b.tensors.get('fc.bias'));
    // Data is copied: clobbering the input afterwards leaves the result alone.
    const before = Array.from(a.tensors.get('fc.bias')!.data);
    big.fill(0);
    expect(Array.from(a.tensors.get('fc.bias')!.data)).toEqual(before);
  });

  it('reads U16, U32, U64 and ignores unknown tensor fields', () => {
    const data = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 5, 0, 0, 0, 0, 0, 0, 0]);
    const parsed = parseSafetensors(
      build(
        {
          u16: { dtype: 'U16', shape: [1], data_offsets: [0, 2], extra: 1 },
          u32: { dtype: 'U32', shape: [1], data_offsets: [2, 6] },
          u64: { dtype: 'U64', shape: [1], data_offsets: [6, 14] },
        },
        data,
      ),
    );
    expect(Array.from(parsed.tensors.get('u16')!.data)).toEqual([65535]);
    expect(Array.from(parsed.tensors.get('u32')!.data)).toEqual([0x7fffffff]);
    expect(Array.from(parsed.tensors.get('u64')!.data)).toEqual([5]);
  });

  it('accepts a header without padding and several empty tensors at one offset', () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const parsed = parseSafetensors(
      build(
        {
          e1: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
          x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          e2: { dtype: 'I64', shape: [2, 0], data_offsets: [8, 8] },
        },
        data,
        false,
      ),
    );
    expect(Array.from(parsed.tensors.get('x')!.data)).toEqual([1, 2]);
    expect(parsed.tensors.get('e2')!.shape).toEqual([2, 0]);
  });
});

describe('parseSafetensors validation names the tensor and the problem', () => {
  const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);
  const cases: [string, Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', new Uint8Array(5), /5 bytes, fewer than the 8-byte header length/],
    [
      'a header length beyond the file',
      (() => {
        const b = build({});
        new DataView(b.buffer).setUint32(0, 1000, true);
        return b;
      })(),
      /header length 1000 runs past the end of the file \(8 bytes/,
    ],
    [
      'a header length over 100 MB',
      (() => {
        const b = build({});
        new DataView(b.buffer).setUint32(4, 1, true);
        return b;
      })(),
      /header length 4294967304 is over/,
    ],
    [
      'invalid UTF-8',
      (() => {
        const b = build('{"ab":{}}');
        b[10] = 0xff;
        return b;
      })(),
      /not valid UTF-8/,
    ],
    ['a header that is not an object', build('[1,2]'), /starting with '\{'/],
    ['invalid JSON', build('{"a": }'), /not valid JSON/],
    [
      'non-string metadata',
      build({ __metadata__: { a: 1 } }),
      /__metadata__\['a'\] must be a string, got number/,
    ],
    [
      'an unknown dtype',
      build({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)),
      /tensor 'w': unknown dtype "F128"/,
    ],
    [
      'an FP8 dtype',
      build({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /tensor 'w': dtype F8_E4M3 is not supported/,
    ],
    [
      'a negative dimension',
      build({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)),
      /tensor 'w': shape must be an array of non-negative integers, got \[-1\]/,
    ],
    [
      'a missing data_offsets',
      build({ w: { dtype: 'F32', shape: [1] } }, f32(1)),
      /tensor 'w': data_offsets must be \[begin, end\]/,
    ],
    [
      'offsets that end before they begin',
      build({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32(1)),
      /tensor 'w': data_offsets \[4, 0\] end before they begin/,
    ],
    [
      'size ≠ product(shape)·itemsize',
      build({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, new Uint8Array(20)),
      /tensor 'w': data_offsets \[0, 20\] hold 20 bytes but shape \[2,3\] of F32 needs 6·4 = 24/,
    ],
    [
      'offsets out of range',
      build({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)),
      /tensor 'w': data_offsets \[0, 8\] run past the data section \(4 bytes\)/,
    ],
    [
      'overlapping tensors',
      build(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        f32(3),
      ),
      /tensor 'b': data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/,
    ],
    [
      'a hole',
      build(
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        },
        f32(3),
      ),
      /tensor 'b': .* leave bytes \[4, 8\) of the data section unused/,
    ],
    [
      'trailing bytes',
      build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)),
      /cover 4 bytes but the data section has 8/,
    ],
    [
      'an I64 beyond int32',
      build(
        { n: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } },
        new Uint8Array(new BigInt64Array([1n, 2n ** 40n]).buffer),
      ),
      /tensor 'n' \(I64, shape \[2\]\): value 1099511627776 at flat index 1 is outside the int32 range/,
    ],
    [
      'an I64 below int32',
      build(
        { n: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
        new Uint8Array(new BigInt64Array([-(2n ** 31n) - 1n]).buffer),
      ),
      /value -2147483649 at flat index 0/,
    ],
    [
      'a U32 beyond int32',
      build(
        { n: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } },
        new Uint8Array(new Uint32Array([2 ** 31]).buffer),
      ),
      /tensor 'n' \(U32, shape \[1\]\): value 2147483648 at flat index 0/,
    ],
    [
      'a U64 beyond int32',
      build(
        { n: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } },
        new Uint8Array(new BigUint64Array([2n ** 63n]).buffer),
      ),
      /value 9223372036854775808 at flat index 0/,
    ],
    [
      'a BOOL byte other than 0/1',
      build({ m: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, new Uint8Array([1, 2])),
      /tensor 'm': BOOL byte 2 at flat index 1 \(expected 0 or 1\)/,
    ],
  ];
  for (const [what, file, message] of cases) {
    it(`rejects ${what}`, () => {
      let caught: unknown;
      try {
        parseSafetensors(file);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SafetensorsError);
      expect((caught as Error).message).toMatch(/^parseSafetensors: /);
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('rejects what is not a buffer', () => {
    expect(() => parseSafetensors('file.safetensors' as unknown as Uint8Array)).toThrow(
      /parseSafetensors: buffer must be an ArrayBuffer or a Uint8Array, got string/,
    );
  });

  it('keeps a "__proto__" metadata key as data', () => {
    const parsed = parseSafetensors(build('{"__metadata__":{"__proto__":"x"}}'));
    expect(Object.getPrototypeOf(parsed.metadata)).toBe(Object.prototype);
    expect(Object.keys(parsed.metadata)).toEqual(['__proto__']);
  });
});
