// Golden bytes: the reference implementation's own unit tests (huggingface/safetensors, safetensors/src/tensor.rs:
// test_serialization, test_serialization_forced_alignement, test_empty). Round trips use the fixtures made by
// fixtures/weights/make_safetensors.py.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { DTYPE_SIZE } from './dtypes.js';
import { parseSafetensors } from './parse-safetensors.js';
import { serializeSafetensors } from './serialize-safetensors.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/weights/${name}`, import.meta.url));
const f32s = [0, 1, 2, 3, 4, 5];
const ascii = (s: string) => Array.from(new TextEncoder().encode(s));
const f32Bytes = Array.from(new Uint8Array(new Float32Array(f32s).buffer));

/** The header text and the tensors' absolute byte positions in a serialized file. */
function headerOf(bytes: Uint8Array) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  return {
    n,
    text,
    header: JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>,
  };
}

beforeAll(async () => {
  await initBackend('cpu', { log: false });
});

describe('serializeSafetensors writes what the reference writer writes', () => {
  it('one F32 tensor: header without padding (64 bytes)', () => {
    const out = serializeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: f32s } });
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(Array.from(out)).toEqual([64, 0, 0, 0, 0, 0, 0, 0, ...ascii(header), ...f32Bytes]);
  });

  it('one F32 tensor: header padded with spaces to 8 bytes (72)', () => {
    const out = serializeSafetensors({
      attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data: new Float32Array(f32s) },
    });
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect(Array.from(out)).toEqual([
      72,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...ascii(header),
      32,
      32,
      32,
      32,
      32,
      32,
      32,
      ...f32Bytes,
    ]);
  });

  it('no tensors, with and without metadata', () => {
    expect(Array.from(serializeSafetensors({}))).toEqual([
      8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32,
    ]);
    expect(Array.from(serializeSafetensors(new Map(), { framework: 'pt' }))).toEqual([
      40,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...ascii('{"__metadata__":{"framework":"pt"}}'),
      32,
      32,
      32,
      32,
      32,
    ]);
  });

  it('orders by descending alignment then name, metadata first and sorted, integer-like names included', () => {
    const out = serializeSafetensors(
      {
        b: { dtype: 'BOOL', shape: [3], data: [1, 0, 1] },
        '1': { dtype: 'F32', shape: [1], data: [1] },
        h: { dtype: 'F16', shape: [1], data: [1] },
        '0': { dtype: 'F32', shape: [1], data: [0] },
        n: { dtype: 'I64', shape: [], data: [7] },
        d: { dtype: 'F64', shape: [1], data: [0.1] },
      },
      { z: '1', a: '2' },
    );
    const { text, n, header } = headerOf(out);
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"a":"2","z":"1"},"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
        '"d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},"0":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},' +
        '"1":{"dtype":"F32","shape":[1],"data_offsets":[20,24]},"h":{"dtype":"F16","shape":[1],"data_offsets":[24,26]},' +
        '"b":{"dtype":"BOOL","shape":[3],"data_offsets":[26,29]}}',
    );
    expect(n % 8).toBe(0);
    for (const info of Object.values(header)) {
      if ('dtype' in info) expect((8 + n + info.data_offsets[0]) % DTYPE_SIZE[info.dtype as 'F32']).toBe(0);
    }
  });
});

describe('serializeSafetensors → parseSafetensors round trips', () => {
  it('tf tensors: float32 → F32, int32 → I32, bool → BOOL, values exact, nothing leaked or disposed', async () => {
    const w = tf.tensor4d([0.1, -2, 3e-8, Number.NaN, Infinity, -0], [1, 1, 2, 3]);
    const idx = tf.tensor1d([-5, 2 ** 31 - 1], 'int32');
    const mask = tf.tensor1d([true, false], 'bool');
    const out = await expectNoLeaks(() => serializeSafetensors({ w, idx, mask }, { format: 'pt' }), {
      what: 'serializeSafetensors',
    });
    const parsed = parseSafetensors(out);
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect(parsed.tensors.get('w')).toEqual({ dtype: 'F32', shape: [1, 1, 2, 3], data: w.dataSync() });
    expect(parsed.tensors.get('idx')).toEqual({
      dtype: 'I32',
      shape: [2],
      data: Int32Array.of(-5, 2 ** 31 - 1),
    });
    expect(parsed.tensors.get('mask')).toEqual({ dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) });
    expect(w.isDisposed).toBe(false);
    tf.dispose([w, idx, mask]);
  });

  it('options narrow float32 to F16/BF16 and widen int32 to I64 (as PyTorch stores integer buffers)', () => {
    const w = tf.tensor1d([1 / 3, 65504, 1e-7]);
    const nbt = tf.scalar(3, 'int32');
    for (const floatDtype of ['F16', 'BF16', 'F64'] as const) {
      const parsed = parseSafetensors(
        serializeSafetensors({ w, nbt }, undefined, { floatDtype, intDtype: 'I64' }),
      );
      expect(parsed.tensors.get('w')!.dtype).toBe(floatDtype);
      expect(parsed.tensors.get('nbt')).toEqual({ dtype: 'I64', shape: [], data: Int32Array.of(3) });
    }
    const f16 = parseSafetensors(serializeSafetensors({ w }, undefined, { floatDtype: 'F16' })).tensors.get(
      'w',
    )!;
    expect(Array.from(f16.data)).toEqual([0.333251953125, 65504, 1.1920928955078125e-7]);
    tf.dispose([w, nbt]);
  });

  it('parsed fixtures write back with their own dtypes and read back equal (F16, BF16, F64, every integer, BOOL)', () => {
    for (const name of ['tiny_f16.safetensors', 'tiny_bf16.safetensors', 'dtypes.safetensors']) {
      const parsed = parseSafetensors(fixture(name));
      const again = parseSafetensors(serializeSafetensors(parsed.tensors, parsed.metadata));
      expect(again.metadata).toEqual(parsed.metadata);
      expect(again.tensors.size).toBe(parsed.tensors.size);
      for (const [key, t] of parsed.tensors) expect(again.tensors.get(key), `${name} ${key}`).toEqual(t);
    }
  });

  it('I64 and U64 take any safe integer (two’s complement), U16/U32/I16/I8/U8 their ranges', () => {
    const out = serializeSafetensors({
      big: { dtype: 'I64', shape: [3], data: [2 ** 40, -(2 ** 40) - 5, -1] },
      ubig: { dtype: 'U64', shape: [1], data: [2 ** 53 - 1] },
      u16: { dtype: 'U16', shape: [1], data: [65535] },
      u32: { dtype: 'U32', shape: [1], data: [123] },
      i16: { dtype: 'I16', shape: [1], data: [-32768] },
      i8: { dtype: 'I8', shape: [1], data: [-128] },
      u8: { dtype: 'U8', shape: [1], data: [255] },
    });
    const { n, header } = headerOf(out);
    const at = (key: string) => 8 + n + header[key]!.data_offsets[0];
    expect(Array.from(new BigInt64Array(out.slice(at('big'), at('big') + 24).buffer))).toEqual([
      2n ** 40n,
      -(2n ** 40n) - 5n,
      -1n,
    ]);
    expect(Array.from(new BigUint64Array(out.slice(at('ubig'), at('ubig') + 8).buffer))).toEqual([
      2n ** 53n - 1n,
    ]);
    // U64 sorts first in the data, so it is the first value the reader finds outside int32.
    expect(() => parseSafetensors(out)).toThrow(
      /tensor 'ubig' \(U64, shape \[1\]\): value 9007199254740991 at flat index 0/,
    );
    const small = parseSafetensors(
      serializeSafetensors({
        u16: { dtype: 'U16', shape: [1], data: [65535] },
        i8: { dtype: 'I8', shape: [1], data: [-128] },
      }),
    );
    expect(Array.from(small.tensors.get('u16')!.data)).toEqual([65535]);
    expect(Array.from(small.tensors.get('i8')!.data)).toEqual([-128]);
  });
});

describe('serializeSafetensors validation', () => {
  const t = (dtype: string, shape: number[], data: unknown) => ({ x: { dtype, shape, data } }) as never;
  const cases: [string, () => unknown, RegExp][] = [
    [
      'a bad dtype',
      () => serializeSafetensors(t('F8', [1], [1])),
      /tensor 'x': dtype must be one of F64, .*, got "F8"/,
    ],
    [
      'a bad shape',
      () => serializeSafetensors(t('F32', [1.5], [1])),
      /tensor 'x': shape must be an array of non-negative integers, got \[1.5\]/,
    ],
    [
      'a wrong data length',
      () => serializeSafetensors(t('F32', [2, 2], [1, 2, 3])),
      /tensor 'x': data has 3 values but shape \[2,2\] needs 4/,
    ],
    [
      'a fraction for an integer dtype',
      () => serializeSafetensors(t('I32', [2], [1, 2.5])),
      /tensor 'x': value 2.5 at flat index 1 is not an integer in \[-2147483648, 2147483647\], as I32 needs/,
    ],
    [
      'an out-of-range I8',
      () => serializeSafetensors(t('I8', [1], [200])),
      /value 200 at flat index 0 is not an integer in \[-128, 127\]/,
    ],
    [
      'a BOOL value 2',
      () => serializeSafetensors(t('BOOL', [1], [2])),
      /value 2 at flat index 0 is not 0 or 1, as BOOL needs/,
    ],
    [
      'an unsafe I64',
      () => serializeSafetensors(t('I64', [1], [2 ** 60])),
      /not an integer in \[-9007199254740991, 9007199254740991\]/,
    ],
    [
      'the reserved name',
      () => serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [], data: [1] } }),
      /'__metadata__' is reserved/,
    ],
    [
      'non-string metadata',
      () => serializeSafetensors({}, { epoch: 3 } as never),
      /metadata\['epoch'\] must be a string, got number/,
    ],
    [
      'a plain array for a tensor',
      () => serializeSafetensors({ x: [1, 2] } as never),
      /tensor 'x' must be a tf.Tensor or \{dtype, shape, data\}, got object/,
    ],
    [
      'bad options',
      () => serializeSafetensors({}, undefined, { floatDtype: 'F8' as never }),
      /options.floatDtype must be 'F32', 'F16', 'BF16' or 'F64', got "F8"/,
    ],
    [
      'a disposed tensor',
      () => {
        const d = tf.scalar(1);
        d.dispose();
        return serializeSafetensors({ d });
      },
      /tensor 'd' is disposed/,
    ],
    [
      'a string tensor',
      () => {
        const s = tf.tensor(['a']);
        try {
          return serializeSafetensors({ s });
        } finally {
          s.dispose();
        }
      },
      /tensor 's' has tfjs dtype string; only float32, int32 and bool/,
    ],
  ];
  for (const [what, run, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(run).toThrow(/^serializeSafetensors: /);
      expect(run).toThrow(message);
    });
  }
});
