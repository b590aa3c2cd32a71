/**
 * Where dataset files come from and how images are decoded. The browser entry reads from a base URL with
 * `fetch` and decodes with `createImageBitmap`; the Node entry (`node` export condition) reads files with
 * `node:fs` and decodes with sharp (through `@cv/core`). The readers in this package only use this interface,
 * so the same code reads a VOCdevkit or a banana folder on disk or from a web server.
 */
import { DatasetFileError } from './errors.js';

/** Decoded 8-bit RGB pixels, row-major `[height, width, 3]`. */
export interface RgbPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface DataPlatform {
  readonly name: 'node' | 'browser';
  /** The bytes of `rel` (a '/'-separated path) under `root` (a folder in Node, a base URL anywhere). */
  readBytes(root: string, rel: string): Promise<Uint8Array>;
  /** Decodes a PNG or JPEG to RGB bytes; throws a {@link DatasetFileError} naming `where` if it cannot. */
  decodeRgb(bytes: Uint8Array, where: string): Promise<RgbPixels>;
  /** zlib inflate (for palette PNG label maps). */
  inflate(data: Uint8Array): Promise<Uint8Array>;
}

/** True for `http:`, `https:`, `file:`, `blob:`, `data:` style roots. */
export function isUrl(root: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(root) || /^(blob|data):/i.test(root);
}

/** `root` + `/` + `rel` for a folder or a base URL (a URL root gets its trailing slash). */
export function joinRoot(root: string, rel: string): string {
  if (isUrl(root)) return new URL(rel, root.endsWith('/') ? root : `${root}/`).href;
  if (root === '') return rel;
  return root.endsWith('/') || root.endsWith('\\') ? `${root}${rel}` : `${root}/${rel}`;
}

/** Reads `rel` under a URL root with `fetch`; a 404 or network error names the URL. */
export async function fetchBytes(root: string, rel: string): Promise<Uint8Array> {
  const url = joinRoot(root, rel);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new DatasetFileError(`cannot fetch ${url}: ${(err as Error).message}`, url, 'missing');
  }
  if (!res.ok) throw new DatasetFileError(`cannot fetch ${url}: HTTP ${res.status}`, url, 'missing');
  return new Uint8Array(await res.arrayBuffer());
}

let current: DataPlatform | undefined;

/** Sets the platform the readers use (each entry sets its own; tests and special hosts may replace it). */
export function setDataPlatform(platform: DataPlatform): void {
  current = platform;
}

/** The platform the readers use. */
export function getDataPlatform(): DataPlatform {
  if (!current)
    throw new Error('@cv/datasets-voc: no data platform is set (import the package entry, not a file)');
  return current;
}

/** UTF-8 text of `rel` under `root`. */
export async function readText(root: string, rel: string): Promise<string> {
  return new TextDecoder().decode(await getDataPlatform().readBytes(root, rel));
}
