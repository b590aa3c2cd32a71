import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { crc32, decodeIndexedPng, encodeIndexedPng } from './indexed-png.js';
import { vocPalette } from './palette.js';

// The codec takes zlib as a parameter; Node's is used here, and sharp (libvips/libspng) is the independent
// decoder the results are checked against.
const inflate = (d: Uint8Array) => new Uint8Array(inflateSync(d));
const deflate = (d: Uint8Array) => new Uint8Array(deflateSync(d));

function labelMap(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7) % 21;
  out[3] = 255;
  return out;
}

describe('indexed PNG codec', () => {
  it('computes the standard CRC-32', () => {
    expect((crc32(new TextEncoder().encode('123456789')) ^ 0xffffffff) >>> 0).toBe(0xcbf43926);
  });

  it('round-trips palette indices and matches what sharp decodes', async () => {
    const [w, h] = [13, 5];
    const idx = labelMap(w, h);
    const png = encodeIndexedPng(idx, w, h, vocPalette(), deflate);
    const back = decodeIndexedPng(png, inflate);
    expect(back).toMatchObject({ width: w, height: h, colorType: 3, bitDepth: 8 });
    expect(Array.from(back.indices)).toEqual(Array.from(idx));
    expect(back.palette!.length).toBe(256);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    const pal = vocPalette();
    for (let i = 0; i < w * h; i++)
      expect([data[3 * i], data[3 * i + 1], data[3 * i + 2]]).toEqual(pal[idx[i]!]);
  });

  it('reads palette PNGs written by libvips: interlaced (Adam7), low bit depths, all filters', async () => {
    // A smooth-ish RGB image with few colors, written as palette PNGs by sharp in several ways.
    const [w, h] = [19, 11];
    const rgb = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        rgb.set(
          [((x * 40) % 256) & 0xc0, ((y * 60) % 256) & 0xc0, (((x + y) * 30) % 256) & 0x80],
          (y * w + x) * 3,
        );
    for (const opts of [
      { progressive: true },
      { progressive: false },
      { colours: 4, progressive: true },
      { colours: 2 },
      { colours: 16 },
    ]) {
      const png = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
        .png({ palette: true, dither: 0, ...opts })
        .toBuffer();
      const decoded = decodeIndexedPng(new Uint8Array(png), inflate);
      const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      for (let i = 0; i < w * h; i++) {
        expect(decoded.palette![decoded.indices[i]!], `pixel ${i} with ${JSON.stringify(opts)}`).toEqual([
          data[3 * i],
          data[3 * i + 1],
          data[3 * i + 2],
        ]);
      }
    }
  });

  it('undoes all five row filters (a hand-filtered PNG that sharp also decodes)', async () => {
    const [w, h] = [9, 10];
    const raw = Uint8Array.from({ length: w * h }, (_, i) => (i * i * 31 + 7 * (i % w)) & 255);
    const paeth = (a: number, b: number, c: number) => {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    };
    const filtered = new Uint8Array((w + 1) * h);
    for (let y = 0; y < h; y++) {
      const f = y % 5; // rows use filters 0, 1, 2, 3, 4, 0, ...
      filtered[y * (w + 1)] = f;
      for (let x = 0; x < w; x++) {
        const v = raw[y * w + x]!;
        const a = x > 0 ? raw[y * w + x - 1]! : 0;
        const b = y > 0 ? raw[(y - 1) * w + x]! : 0;
        const c = x > 0 && y > 0 ? raw[(y - 1) * w + x - 1]! : 0;
        const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f]!;
        filtered[y * (w + 1) + 1 + x] = (v - pred) & 255;
      }
    }
    const chunk = (type: string, body: Uint8Array) => {
      const out = new Uint8Array(12 + body.length);
      const view = new DataView(out.buffer);
      view.setUint32(0, body.length);
      out.set(new TextEncoder().encode(type), 4);
      out.set(body, 8);
      view.setUint32(8 + body.length, (crc32(out.subarray(4, 8 + body.length)) ^ 0xffffffff) >>> 0);
      return out;
    };
    const ihdr = new Uint8Array(13);
    new DataView(ihdr.buffer).setUint32(0, w);
    new DataView(ihdr.buffer).setUint32(4, h);
    ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grayscale
    const png = Buffer.concat([
      Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflate(filtered)),
      chunk('IEND', new Uint8Array(0)),
    ]);
    const { data } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data)).toEqual(Array.from(raw));
    expect(Array.from(decodeIndexedPng(new Uint8Array(png), inflate).indices)).toEqual(Array.from(raw));
  });

  it('reads 8-bit grayscale as values and rejects RGB, naming the color type', async () => {
    const gray = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const png = await sharp(gray, { raw: { width: 4, height: 3, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    const d = decodeIndexedPng(new Uint8Array(png), inflate);
    expect(d.colorType).toBe(0);
    expect(Array.from(d.indices)).toEqual(Array.from(gray));
    const rgb = await sharp(new Uint8Array(36), { raw: { width: 4, height: 3, channels: 3 } })
      .png()
      .toBuffer();
    expect(() => decodeIndexedPng(new Uint8Array(rgb), inflate)).toThrow(
      /decodeIndexedPng: color type 2 \(RGB\) has no indices; expected a palette \(3\) or grayscale \(0\) PNG/,
    );
    const corrupt = new Uint8Array(png);
    corrupt[20] = corrupt[20]! ^ 1;
    expect(() => decodeIndexedPng(corrupt, inflate)).toThrow(/decodeIndexedPng: CRC mismatch in chunk IHDR/);
    expect(() => decodeIndexedPng(new Uint8Array(10), inflate)).toThrow(/not a PNG file/);
    expect(() => encodeIndexedPng(Uint8Array.of(3), 1, 1, [[0, 0, 0]], deflate)).toThrow(
      /encodeIndexedPng: index 3 is outside the palette of 1 colors/,
    );
  });
});
