import type { Rgb } from './pixels.js';

/**
 * A small PNG codec for label maps: palette (color type 3) and 8-bit-or-less grayscale (color type 0)
 * images, read as their raw index/gray values, which general decoders (sharp, canvas) expand to RGB.
 * VOC's `SegmentationClass/*.png` masks are palette PNGs whose indices are the class labels (255 = border).
 * Platform-neutral: the zlib step is passed in (Node's `zlib.inflateSync`/`deflateSync`, or a JS zlib in
 * browsers). Handles bit depths 1, 2, 4, 8, all five row filters, and Adam7 interlacing.
 */

export type ZlibFn = (data: Uint8Array) => Uint8Array;

export interface IndexedPng {
  width: number;
  height: number;
  /** 3 = palette, 0 = grayscale. */
  colorType: 0 | 3;
  bitDepth: 1 | 2 | 4 | 8;
  /** One value per pixel, row-major: palette indices (type 3) or gray levels (type 0). */
  indices: Uint8Array;
  /** The PLTE colors (type 3), else undefined. */
  palette: Rgb[] | undefined;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

let crcTable: Uint32Array | undefined;
/** CRC-32 (ISO 3309, as PNG uses) of `bytes`. */
export function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

function finalCrc(bytes: Uint8Array): number {
  return (crc32(bytes) ^ 0xffffffff) >>> 0;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Reverses the row filters of `h` rows of `rowBytes` bytes starting at `offset`; returns the rows and the end offset. */
function unfilter(
  data: Uint8Array,
  offset: number,
  rowBytes: number,
  h: number,
): { rows: Uint8Array; end: number } {
  const rows = new Uint8Array(rowBytes * h);
  for (let y = 0; y < h; y++) {
    if (offset + 1 + rowBytes > data.length)
      throw new Error('decodeIndexedPng: image data is shorter than the header says');
    const filter = data[offset]!;
    const line = data.subarray(offset + 1, offset + 1 + rowBytes);
    const o = y * rowBytes;
    for (let x = 0; x < rowBytes; x++) {
      const a = x > 0 ? rows[o + x - 1]! : 0; // bpp is 1 for these formats
      const b = y > 0 ? rows[o - rowBytes + x]! : 0;
      const c = x > 0 && y > 0 ? rows[o - rowBytes + x - 1]! : 0;
      const v = line[x]!;
      switch (filter) {
        case 0:
          rows[o + x] = v;
          break;
        case 1:
          rows[o + x] = v + a;
          break;
        case 2:
          rows[o + x] = v + b;
          break;
        case 3:
          rows[o + x] = v + ((a + b) >> 1);
          break;
        case 4:
          rows[o + x] = v + paeth(a, b, c);
          break;
        default:
          throw new Error(`decodeIndexedPng: unknown row filter ${filter} in row ${y}`);
      }
    }
    offset += 1 + rowBytes;
  }
  return { rows, end: offset };
}

const ADAM7: [number, number, number, number][] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Decodes a palette or ≤8-bit grayscale PNG to its raw per-pixel values (see {@link IndexedPng}). */
export function decodeIndexedPng(bytes: Uint8Array, inflate: ZlibFn): IndexedPng {
  if (!(bytes instanceof Uint8Array))
    throw new Error(`decodeIndexedPng: bytes must be a Uint8Array, got ${typeof bytes}`);
  if (bytes.length < 8 || SIGNATURE.some((v, i) => bytes[i] !== v))
    throw new Error('decodeIndexedPng: not a PNG file (bad signature)');
  let offset = 8;
  let header:
    | { width: number; height: number; bitDepth: number; colorType: number; interlace: number }
    | undefined;
  let palette: Rgb[] | undefined;
  const idat: Uint8Array[] = [];
  while (offset + 12 <= bytes.length) {
    const length = u32(bytes, offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (offset + 12 + length > bytes.length)
      throw new Error(`decodeIndexedPng: chunk ${type} runs past the end of the file`);
    if (finalCrc(bytes.subarray(offset + 4, offset + 8 + length)) !== u32(bytes, offset + 8 + length)) {
      throw new Error(`decodeIndexedPng: CRC mismatch in chunk ${type} (corrupt file)`);
    }
    if (type === 'IHDR') {
      header = {
        width: u32(body, 0),
        height: u32(body, 4),
        bitDepth: body[8]!,
        colorType: body[9]!,
        interlace: body[12]!,
      };
    } else if (type === 'PLTE') {
      palette = [];
      for (let i = 0; i + 2 < length; i += 3) palette.push([body[i]!, body[i + 1]!, body[i + 2]!]);
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  if (!header) throw new Error('decodeIndexedPng: no IHDR chunk');
  const { width, height, bitDepth, colorType, interlace } = header;
  if (colorType !== 0 && colorType !== 3) {
    const kinds: Record<number, string> = { 2: 'RGB', 4: 'gray + alpha', 6: 'RGBA' };
    throw new Error(
      `decodeIndexedPng: color type ${colorType} (${kinds[colorType] ?? 'unknown'}) has no indices; expected a palette (3) or grayscale (0) PNG`,
    );
  }
  if (![1, 2, 4, 8].includes(bitDepth))
    throw new Error(`decodeIndexedPng: bit depth ${bitDepth} is not supported (1, 2, 4 or 8)`);
  if (colorType === 3 && !palette) throw new Error('decodeIndexedPng: palette PNG without a PLTE chunk');
  const compressed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let written = 0;
  for (const c of idat) {
    compressed.set(c, written);
    written += c.length;
  }
  const data = inflate(compressed);
  const indices = new Uint8Array(width * height);
  const mask = (1 << bitDepth) - 1;
  const perByte = 8 / bitDepth;
  const passes: [number, number, number, number][] = interlace === 1 ? ADAM7 : [[0, 0, 1, 1]];
  let pos = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const rowBytes = Math.ceil((pw * bitDepth) / 8);
    const { rows, end } = unfilter(data, pos, rowBytes, ph);
    pos = end;
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const byte = rows[y * rowBytes + Math.floor(x / perByte)]!;
        const shift = 8 - bitDepth * ((x % perByte) + 1);
        indices[(y0 + y * dy) * width + x0 + x * dx] = (byte >> shift) & mask;
      }
    }
  }
  return { width, height, colorType, bitDepth: bitDepth as IndexedPng['bitDepth'], indices, palette };
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, finalCrc(out.subarray(4, 8 + body.length)));
  return out;
}

/**
 * Encodes per-pixel indices as an 8-bit palette PNG (VOC's mask format): `indices` row-major, one byte per
 * pixel, each < `palette.length` (≤ 256 colors). Rows use filter 0 (label maps compress well as they are).
 */
export function encodeIndexedPng(
  indices: Uint8Array,
  width: number,
  height: number,
  palette: readonly Rgb[],
  deflate: ZlibFn,
): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`encodeIndexedPng: width and height must be positive integers, got ${width}x${height}`);
  }
  if (!(indices instanceof Uint8Array) || indices.length !== width * height) {
    throw new Error(
      `encodeIndexedPng: indices must be a Uint8Array of ${width}x${height} = ${width * height} values, got ${indices?.length}`,
    );
  }
  if (!Array.isArray(palette) || palette.length < 1 || palette.length > 256) {
    throw new Error(`encodeIndexedPng: palette must have 1 to 256 colors, got ${palette?.length}`);
  }
  let max = 0;
  for (let i = 0; i < indices.length; i++) if (indices[i]! > max) max = indices[i]!;
  if (max >= palette.length)
    throw new Error(`encodeIndexedPng: index ${max} is outside the palette of ${palette.length} colors`);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 3, 0, 0, 0], 8);
  const plte = new Uint8Array(palette.length * 3);
  palette.forEach((c, i) => {
    plte.set(c, i * 3);
  });
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const parts = [
    Uint8Array.from(SIGNATURE),
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    chunk('IDAT', deflate(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
