import * as tf from '@tensorflow/tfjs-core';
import {
  DTYPE_RANK,
  DTYPE_SIZE,
  HOST_LITTLE_ENDIAN,
  isSafetensorsDtype,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  swapBytes,
} from './dtypes.js';
import { float32ToBfloat16Bits, float32ToHalfBits } from './half.js';

/**
 * A tensor given as plain data, to be written with `dtype` (a `SafetensorsTensor` from `parseSafetensors`
 * is one, so a parsed file writes back with its own dtypes).
 */
export interface SafetensorsTensorInput {
  dtype: SafetensorsDtype;
  /** Row-major shape; `[]` for a scalar. */
  shape: readonly number[];
  /** product(shape) values, row-major. Integer dtypes need integers in range; BOOL needs 0 or 1. */
  data: ArrayLike<number>;
}

export type SafetensorsInput = tf.Tensor | SafetensorsTensorInput;

export interface SerializeSafetensorsOptions {
  /** Dtype written for float32 tf.Tensors: 'F32' (default), 'F16', 'BF16' (round to nearest even) or 'F64'. */
  floatDtype?: 'F32' | 'F16' | 'BF16' | 'F64';
  /**
   * Dtype written for int32 tf.Tensors: 'I32' (default: the tensor's own type) or 'I64' (PyTorch's type for
   * integer buffers such as BatchNorm's `num_batches_tracked`; PyTorch's `load_state_dict` casts either).
   */
  intDtype?: 'I32' | 'I64';
}

const fail = (msg: string): never => {
  throw new Error(`serializeSafetensors: ${msg}`);
};

interface Prepared {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

/**
 * Writes tensors as a safetensors file (https://github.com/huggingface/safetensors#format), laid out as the
 * reference writer does, byte for byte: tensors ordered by descending dtype alignment (I64/U64, F64, F32,
 * I32/U32, BF16, F16, I16/U16, I8/U8, BOOL; then by name) so every tensor's data is aligned to its element
 * size; a compact JSON header with `__metadata__` first (its keys sorted; omitted when empty) and each tensor's
 * `dtype`, `shape`, `data_offsets`; the header padded with spaces to a multiple of 8 bytes.
 *
 * Dtypes: a tf.Tensor is written as F32 (float32; `options.floatDtype` to narrow), I32 (int32;
 * `options.intDtype: 'I64'` for PyTorch's integer type) or BOOL; a plain `{dtype, shape, data}` is written with
 * its own dtype (float data is rounded to float32 first, then to F16/BF16, as a tfjs tensor would be; F64 keeps
 * the given doubles; I64 takes any safe integer). tf.Tensors are read with `dataSync()` and not disposed.
 *
 * @param tensors name → tensor (a Map, e.g. `parseSafetensors(...).tensors`, or a plain object).
 * @param metadata string → string, stored as `__metadata__` (PyTorch's writer puts `{format: 'pt'}`).
 * @returns the file's bytes.
 */
export function serializeSafetensors(
  tensors: Map<string, SafetensorsInput> | Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
  options: SerializeSafetensorsOptions = {},
): Uint8Array {
  const list =
    tensors instanceof Map
      ? [...tensors.entries()]
      : isRecord(tensors)
        ? Object.entries(tensors)
        : fail(`tensors must be a Map or an object of name → tensor, got ${typeof tensors}`);
  const { floatDtype = 'F32', intDtype = 'I32' } = options;
  if (!['F32', 'F16', 'BF16', 'F64'].includes(floatDtype))
    fail(`options.floatDtype must be 'F32', 'F16', 'BF16' or 'F64', got ${JSON.stringify(floatDtype)}`);
  if (!['I32', 'I64'].includes(intDtype))
    fail(`options.intDtype must be 'I32' or 'I64', got ${JSON.stringify(intDtype)}`);

  const meta: [string, string][] = [];
  if (metadata !== undefined) {
    if (!isRecord(metadata))
      fail(`metadata must be an object of strings, got ${metadata === null ? 'null' : typeof metadata}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(`metadata['${k}'] must be a string, got ${typeof v}`);
      meta.push([k, v]);
    }
    meta.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  const prepared: Prepared[] = list.map(([name, t]) => {
    if (typeof name !== 'string') fail(`tensor names must be strings, got ${typeof name}`);
    if (name === '__metadata__') fail(`'__metadata__' is reserved for the metadata and cannot name a tensor`);
    return prepare(name, t, floatDtype, intDtype);
  });
  prepared.sort(
    (a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );

  // Build the header text by hand so the key order is exactly ours (JS objects put integer-like keys first).
  const parts: string[] = [];
  if (meta.length > 0)
    parts.push(
      `"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`,
    );
  let offset = 0;
  for (const p of prepared) {
    const end = offset + p.bytes.length;
    parts.push(
      `${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${p.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const text = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(text.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(text, 8);
  out.fill(0x20, 8 + text.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const p of prepared) {
    out.set(p.bytes, pos);
    pos += p.bytes.length;
  }
  return out;
}

function prepare(
  name: string,
  t: SafetensorsInput,
  floatDtype: SafetensorsDtype,
  intDtype: SafetensorsDtype,
): Prepared {
  const where = `tensor '${name}'`;
  let dtype: SafetensorsDtype;
  let shape: number[];
  let data: ArrayLike<number>;
  if (t instanceof tf.Tensor) {
    if (t.isDisposed) fail(`${where} is disposed`);
    if (t.dtype === 'float32') dtype = floatDtype;
    else if (t.dtype === 'int32') dtype = intDtype;
    else if (t.dtype === 'bool') dtype = 'BOOL';
    else return fail(`${where} has tfjs dtype ${t.dtype}; only float32, int32 and bool can be written`);
    shape = t.shape;
    data = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  } else {
    if (!isRecord(t))
      return fail(
        `${where} must be a tf.Tensor or {dtype, shape, data}, got ${t === null ? 'null' : typeof t}`,
      );
    if (!isSafetensorsDtype(t.dtype))
      fail(`${where}: dtype must be one of ${SAFETENSORS_DTYPES.join(', ')}, got ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    if (t.data == null || typeof (t.data as ArrayLike<number>).length !== 'number')
      fail(`${where}: data must be an array or typed array`);
    dtype = t.dtype;
    shape = [...t.shape];
    data = t.data;
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count)
      fail(`${where}: data has ${data.length} values but shape [${shape}] needs ${count}`);
  }
  let bytes = encode(where, dtype, data);
  if (!HOST_LITTLE_ENDIAN) {
    bytes = bytes.slice(); // F32 bytes may view the caller's array
    swapBytes(bytes, DTYPE_SIZE[dtype]);
  }
  return { name, dtype, shape: [...shape], bytes };
}

const INT_RANGE: Partial<Record<SafetensorsDtype, [number, number]>> = {
  I64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  U64: [0, Number.MAX_SAFE_INTEGER],
  I32: [-(2 ** 31), 2 ** 31 - 1],
  U32: [0, 2 ** 32 - 1],
  I16: [-(2 ** 15), 2 ** 15 - 1],
  U16: [0, 2 ** 16 - 1],
  I8: [-128, 127],
  U8: [0, 255],
  BOOL: [0, 1],
};

/** The tensor's bytes in host byte order. */
function encode(where: string, dtype: SafetensorsDtype, data: ArrayLike<number>): Uint8Array {
  const n = data.length;
  const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  switch (dtype) {
    case 'F32':
      return bytesOf(data instanceof Float32Array ? data : Float32Array.from(data));
    case 'F64':
      return bytesOf(Float64Array.from(data));
    case 'F16':
      return bytesOf(float32ToHalfBits(data instanceof Float32Array ? data : Float32Array.from(data)));
    case 'BF16':
      return bytesOf(float32ToBfloat16Bits(data instanceof Float32Array ? data : Float32Array.from(data)));
    default:
      break;
  }
  const [lo, hi] = INT_RANGE[dtype]!;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (!Number.isInteger(v) || v < lo || v > hi) {
      fail(
        `${where}: value ${v} at flat index ${i} is not ${dtype === 'BOOL' ? '0 or 1' : `an integer in [${lo}, ${hi}]`}, as ${dtype} needs`,
      );
    }
  }
  switch (dtype) {
    case 'I32':
      return bytesOf(Int32Array.from(data));
    case 'U32':
      return bytesOf(Uint32Array.from(data));
    case 'I16':
      return bytesOf(Int16Array.from(data));
    case 'U16':
      return bytesOf(Uint16Array.from(data));
    case 'I8':
      return bytesOf(Int8Array.from(data));
    case 'U8':
    case 'BOOL':
      return Uint8Array.from(data);
    default: {
      // I64/U64 from safe integers: low word v mod 2^32, high word floor(v / 2^32) (two's complement).
      const words = new Uint32Array(2 * n);
      for (let i = 0; i < n; i++) {
        const v = data[i]!;
        const high = Math.floor(v / 2 ** 32);
        words[2 * i] = v - high * 2 ** 32;
        words[2 * i + 1] = high >>> 0;
      }
      return bytesOf(words);
    }
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
