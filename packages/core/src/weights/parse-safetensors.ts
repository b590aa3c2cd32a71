import {
  DTYPE_SIZE,
  HOST_LITTLE_ENDIAN,
  isSafetensorsDtype,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  swapBytes,
  UNSUPPORTED_SPEC_DTYPES,
} from './dtypes.js';
import { bfloat16BitsToFloat32, halfBitsToFloat32 } from './half.js';

/** One tensor read from a safetensors file. */
export interface SafetensorsTensor {
  /** The dtype stored in the file (F16 stays named F16 though its data is a Float32Array). */
  dtype: SafetensorsDtype;
  /** PyTorch's shape, as stored (a conv weight is `[out, in, kh, kw]`); `[]` for a scalar. */
  shape: number[];
  /**
   * Row-major values, a copy independent of the input buffer: Float32Array for F64/F32/F16/BF16,
   * Int32Array for every integer dtype, Uint8Array of 0/1 for BOOL.
   */
  data: Float32Array | Int32Array | Uint8Array;
}

/** A parsed safetensors file. */
export interface ParsedSafetensors {
  /** Tensors in the order of their data in the file. */
  tensors: Map<string, SafetensorsTensor>;
  /** The header's `__metadata__` (string → string), `{}` when absent. */
  metadata: Record<string, string>;
}

/** A malformed or unsupported safetensors file; the message names the tensor and the problem. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** The reference implementation refuses headers over 100 MB (huggingface/safetensors MAX_HEADER_SIZE). */
export const MAX_HEADER_SIZE = 100_000_000;

const fail = (msg: string): never => {
  throw new SafetensorsError(`parseSafetensors: ${msg}`);
};

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file held in memory, following the format's specification
 * (https://github.com/huggingface/safetensors#format) and validating everything the reference reader does:
 * - bytes 0..7: the header length N, unsigned little-endian 64-bit; N ≤ 100 MB and 8 + N ≤ the file's length;
 * - N bytes of UTF-8 JSON, an object starting with `{` (trailing spaces allowed): `__metadata__` maps strings to
 *   strings; every other key is a tensor `{dtype, shape, data_offsets: [begin, end]}` (other fields ignored);
 * - dtype one of F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL; shape non-negative integers;
 *   end − begin = product(shape) · element size; the tensors' byte ranges cover the data section exactly,
 *   without overlaps or holes (the spec forbids both).
 * Conversions: F16/BF16/F64 → Float32Array (F16 and BF16 exactly, as torch's `.float()`; F64 rounded to
 * nearest); integers → Int32Array, and an I64/U64/U32 value outside the int32 range is an error naming the
 * tensor, the index and the value (BatchNorm's `num_batches_tracked` is an I64 scalar); BOOL → Uint8Array of
 * 0/1 (another byte is an error). Tensor data is copied, so `buffer` may be reused afterwards.
 *
 * @param buffer the whole file.
 * @throws SafetensorsError naming the tensor and the problem.
 */
export function parseSafetensors(buffer: ArrayBuffer | Uint8Array): ParsedSafetensors {
  let bytes: Uint8Array;
  if (buffer instanceof Uint8Array) bytes = buffer;
  else if (
    buffer instanceof ArrayBuffer ||
    Object.prototype.toString.call(buffer) === '[object ArrayBuffer]'
  ) {
    bytes = new Uint8Array(buffer);
  } else {
    throw new TypeError(
      `parseSafetensors: buffer must be an ArrayBuffer or a Uint8Array, got ${describe(buffer)}`,
    );
  }
  if (bytes.length < 8) fail(`the file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_SIZE)
    fail(`header length ${n} is over the ${MAX_HEADER_SIZE}-byte limit (not a safetensors file?)`);
  if (8 + n > bytes.length)
    fail(`header length ${n} runs past the end of the file (${bytes.length - 8} bytes after the length)`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{'))
    fail(`the header must be a JSON object starting with '{', got ${JSON.stringify(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    return fail(`the header is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(header)) return fail('the header must be a JSON object');

  const metaEntries: [string, string][] = [];
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(info)) fail(`__metadata__ must be an object of strings, got ${describe(info)}`);
      for (const [k, v] of Object.entries(info as object)) {
        if (typeof v !== 'string') fail(`__metadata__['${k}'] must be a string, got ${describe(v)}`);
        metaEntries.push([k, v as string]);
      }
      continue;
    }
    entries.push(readEntry(name, info));
  }

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  for (const e of entries) {
    if (e.end > dataLength) {
      fail(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] run past the data section (${dataLength} bytes)`,
      );
    }
  }
  // Contiguity as the reference validates it: sorted by offsets, each starts where the previous ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < pos) {
      fail(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap tensor '${prev!.name}' [${prev!.begin}, ${prev!.end}]`,
      );
    }
    if (e.begin > pos) {
      fail(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] leave bytes [${pos}, ${e.begin}) of the data section unused (holes are not allowed)`,
      );
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLength) {
    fail(
      `the tensors cover ${pos} bytes but the data section has ${dataLength}: ${dataLength - pos} trailing bytes belong to no tensor`,
    );
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of sorted) {
    tensors.set(e.name, {
      dtype: e.dtype,
      shape: e.shape,
      data: decode(e, bytes.subarray(dataStart + e.begin, dataStart + e.end)),
    });
  }
  // fromEntries defines own properties, so even a '__proto__' key stays data.
  return { tensors, metadata: Object.fromEntries(metaEntries) };
}

function readEntry(name: string, info: unknown): Entry {
  const where = `tensor '${name}'`;
  if (!isPlainObject(info)) fail(`${where}: expected {dtype, shape, data_offsets}, got ${describe(info)}`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    if (typeof dtype === 'string' && UNSUPPORTED_SPEC_DTYPES.includes(dtype)) {
      fail(`${where}: dtype ${dtype} is not supported (supported: ${SAFETENSORS_DTYPES.join(', ')})`);
    }
    fail(
      `${where}: unknown dtype ${JSON.stringify(dtype)} (expected one of ${SAFETENSORS_DTYPES.join(', ')})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isSize)) {
    fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize)) {
    fail(
      `${where}: data_offsets must be [begin, end] (non-negative integers), got ${JSON.stringify(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  const dt = dtype as SafetensorsDtype;
  const dims = shape as number[];
  let count = 1;
  for (const d of dims) count *= d;
  const expected = count * DTYPE_SIZE[dt];
  if (!Number.isSafeInteger(expected)) fail(`${where}: shape [${dims}] of ${dt} is too large`);
  if (end - begin !== expected) {
    fail(
      `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${dims}] of ${dt} needs ` +
        `${count}·${DTYPE_SIZE[dt]} = ${expected}`,
    );
  }
  return { name, dtype: dt, shape: [...dims], begin, end };
}

/** Copies the tensor's bytes into an aligned buffer in host byte order and converts them. */
function decode(e: Entry, raw: Uint8Array): Float32Array | Int32Array | Uint8Array {
  const size = DTYPE_SIZE[e.dtype];
  const copy = new Uint8Array(raw); // an aligned, owned copy (Buffer#slice would be a view)
  if (!HOST_LITTLE_ENDIAN) swapBytes(copy, size);
  const buf = copy.buffer;
  const count = copy.length / size;
  switch (e.dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'F64':
      return Float32Array.from(new Float64Array(buf));
    case 'F16':
      return halfBitsToFloat32(new Uint16Array(buf));
    case 'BF16':
      return bfloat16BitsToFloat32(new Uint16Array(buf));
    case 'I32':
      return new Int32Array(buf);
    case 'I16':
      return Int32Array.from(new Int16Array(buf));
    case 'I8':
      return Int32Array.from(new Int8Array(buf));
    case 'U16':
      return Int32Array.from(new Uint16Array(buf));
    case 'U8':
      return Int32Array.from(copy);
    case 'U32': {
      const out = new Int32Array(buf);
      for (let i = 0; i < count; i++) if (out[i]! < 0) outOfRange(e, i, BigInt(out[i]! >>> 0));
      return out;
    }
    case 'I64':
    case 'U64': {
      const words = new Int32Array(buf);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const low = words[2 * i]!;
        const high = words[2 * i + 1]!;
        // In int32 range iff the high word is the low word's sign extension (and, unsigned, the value is < 2^31).
        if (high !== low >> 31) {
          const value =
            e.dtype === 'I64'
              ? (BigInt(high) << 32n) | BigInt(low >>> 0)
              : (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
          outOfRange(e, i, value);
        }
        out[i] = low;
      }
      return out;
    }
    case 'BOOL': {
      for (let i = 0; i < count; i++) {
        if (copy[i]! > 1)
          fail(`tensor '${e.name}': BOOL byte ${copy[i]} at flat index ${i} (expected 0 or 1)`);
      }
      return copy;
    }
  }
}

function outOfRange(e: Entry, index: number, value: bigint): never {
  return fail(
    `tensor '${e.name}' (${e.dtype}, shape [${e.shape}]): value ${value} at flat index ${index} is outside the int32 range ` +
      `[-2147483648, 2147483647] that tfjs integer tensors hold`,
  );
}

const isSize = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array (${JSON.stringify(x).slice(0, 40)})`;
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return `${typeof x} ${JSON.stringify(x)}`;
}
