/**
 * The browser platform: files from a base URL (`fetch`), images decoded with `createImageBitmap` (through
 * `@cv/core`'s `decodeImage`), zlib with `DecompressionStream`. No Node built-ins.
 */

import { decodeImage } from '@cv/core';
import type * as tf from '@tensorflow/tfjs-core';
import { DatasetFileError } from './errors.js';
import { type DataPlatform, fetchBytes } from './platform.js';

async function inflateStream(data: Uint8Array): Promise<Uint8Array> {
  const DS = (globalThis as unknown as { DecompressionStream?: new (f: string) => TransformStream })
    .DecompressionStream;
  if (!DS) throw new Error('@cv/datasets-voc: this runtime has no DecompressionStream to read palette PNGs');
  const stream = new Blob([Uint8Array.from(data)]).stream().pipeThrough(new DS('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const browserPlatform: DataPlatform = {
  name: 'browser',
  readBytes: fetchBytes,
  async decodeRgb(bytes, where) {
    let t: tf.Tensor3D;
    try {
      t = await decodeImage(bytes, { channels: 3 });
    } catch (err) {
      throw new DatasetFileError(`cannot decode image ${where}: ${(err as Error).message}`, where, 'corrupt');
    }
    try {
      return { width: t.shape[1], height: t.shape[0], data: Uint8Array.from(await t.data()) };
    } finally {
      t.dispose();
    }
  },
  inflate: inflateStream,
};
