import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { decodeImage, encodeImage, encodePng } from './browser-codec.js';

beforeAll(() => initBackend('cpu', { log: false }));
afterEach(() => vi.unstubAllGlobals());

describe('browser codecs in Node', () => {
  it('say what they need when createImageBitmap / OffscreenCanvas are missing', async () => {
    await expect(decodeImage(new Uint8Array(4))).rejects.toThrow(
      /decodeImage: needs createImageBitmap and OffscreenCanvas, which this runtime lacks \(they exist in browsers and web workers\)\. In Node, use readImage\/writeImage from '@cv\/core\/node' \(sharp\)\./,
    );
    const t = tf.zeros([1, 1, 3], 'int32');
    await expect(encodePng(t)).rejects.toThrow(
      /encodeImage: needs OffscreenCanvas, which this runtime lacks/,
    );
    t.dispose();
  });
});

describe('browser codecs with stand-ins for the canvas APIs', () => {
  // Stand-ins that behave like the browser's for opaque images: the "decoded" image is a fixed RGBA buffer;
  // the canvas keeps the pixels it is given and "encodes" them as they are.
  const decoded = { width: 2, height: 1, data: Uint8ClampedArray.from([10, 20, 30, 255, 40, 50, 60, 255]) };
  function stub() {
    const calls: string[] = [];
    class FakeCanvas {
      pixels = new Uint8ClampedArray(0);
      constructor(
        public width: number,
        public height: number,
      ) {}
      getContext() {
        return {
          drawImage: () => {
            this.pixels = decoded.data.slice();
          },
          getImageData: (_x: number, _y: number, w: number, h: number) => ({
            width: w,
            height: h,
            data: this.pixels,
          }),
          createImageData: (w: number, h: number) => ({
            width: w,
            height: h,
            data: new Uint8ClampedArray(w * h * 4),
          }),
          putImageData: (d: { data: Uint8ClampedArray }) => {
            this.pixels = d.data.slice();
          },
        };
      }
      async convertToBlob(options: { type: string; quality?: number }) {
        calls.push(`convertToBlob ${JSON.stringify(options)}`);
        return new Blob([this.pixels], { type: options.type });
      }
    }
    vi.stubGlobal('OffscreenCanvas', FakeCanvas);
    // A function (not an arrow) so it sees `this`: browsers throw "Illegal invocation" unless it is the global.
    vi.stubGlobal(
      'createImageBitmap',
      async function (this: unknown, blob: Blob, options: Record<string, string>) {
        if (this !== globalThis) throw new TypeError('Illegal invocation');
        calls.push(`createImageBitmap ${blob.size} ${JSON.stringify(options)}`);
        return { width: decoded.width, height: decoded.height, close: () => calls.push('close') };
      },
    );
    return calls;
  }

  it('decodes through createImageBitmap + OffscreenCanvas into [H, W, 3] tensors', async () => {
    const calls = stub();
    const t = await expectNoLeaks(() => decodeImage(new Uint8Array([1, 2, 3])));
    expect(t.shape).toEqual([1, 2, 3]);
    expect(Array.from(t.dataSync())).toEqual([10, 20, 30, 40, 50, 60]);
    expect(calls).toEqual([
      'createImageBitmap 3 {"premultiplyAlpha":"none","colorSpaceConversion":"none","imageOrientation":"none"}',
      'close',
    ]);
    const f = await decodeImage(new Blob([new Uint8Array(5)]), { dtype: 'float32', channels: 4 });
    expect(f.shape).toEqual([1, 2, 4]);
    tf.dispose([t, f]);
  });

  it('encodes tensors through OffscreenCanvas.convertToBlob with the type and quality asked for', async () => {
    const calls = stub();
    const t = tf.tensor3d([[[1, 0.5, 0]]], [1, 1, 3]);
    const png = await expectNoLeaks(() => encodePng(t));
    expect(png.type).toBe('image/png');
    expect(Array.from(new Uint8Array(await png.arrayBuffer()))).toEqual([255, 128, 0, 255]);
    const jpeg = await encodeImage(
      { width: 1, height: 1, data: Uint8Array.of(7, 8, 9) },
      { type: 'image/jpeg', quality: 0.8 },
    );
    expect(Array.from(new Uint8Array(await jpeg.arrayBuffer()))).toEqual([7, 8, 9, 255]);
    expect(calls).toEqual([
      'convertToBlob {"type":"image/png"}',
      'convertToBlob {"type":"image/jpeg","quality":0.8}',
    ]);
    await expect(encodeImage(t, { quality: 2 })).rejects.toThrow(
      /encodeImage: quality must be in \[0, 1\], got 2/,
    );
    t.dispose();
  });
});
