/**
 * The Node platform: files from disk (`node:fs`) or, for a URL root, `fetch`; images decoded by sharp through
 * `@cv/core`'s `readImage`; zlib from `node:zlib`.
 */
import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import { readImage } from '@cv/core';
import { DatasetFileError } from '../errors.js';
import { type DataPlatform, fetchBytes, isUrl, joinRoot } from '../platform.js';

export const nodePlatform: DataPlatform = {
  name: 'node',
  async readBytes(root, rel) {
    if (isUrl(root) && !root.startsWith('file:')) return fetchBytes(root, rel);
    const path = root.startsWith('file:') ? new URL(joinRoot(root, rel)) : joinRoot(root, rel);
    try {
      return new Uint8Array(await readFile(path));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const where = String(path instanceof URL ? path.pathname : path);
      const what = e.code === 'ENOENT' ? 'no such file' : e.message;
      throw new DatasetFileError(`cannot read ${where}: ${what}`, where, 'missing');
    }
  },
  async decodeRgb(bytes, where) {
    let t: Awaited<ReturnType<typeof readImage>>;
    try {
      t = await readImage(bytes, { channels: 3 });
    } catch (err) {
      const msg = (err as Error).message.replace(/^readImage: cannot decode a \d+-byte buffer: /, '');
      throw new DatasetFileError(`cannot decode image ${where}: ${msg}`, where, 'corrupt');
    }
    try {
      const v = t.dataSync();
      return { width: t.shape[1], height: t.shape[0], data: Uint8Array.from(v) };
    } finally {
      t.dispose();
    }
  },
  async inflate(data) {
    return new Uint8Array(inflateSync(data));
  },
};
