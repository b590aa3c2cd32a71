/**
 * Node-only safetensors files: read, write atomically, and download into an on-disk cache with progress.
 * The platform-neutral reader/writer is in `../weights/`.
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { contentLength, httpGet, readChunks } from '../weights/http-download.js';
import type { WeightsProgress } from '../weights/load-safetensors.js';
import { type ParsedSafetensors, parseSafetensors, SafetensorsError } from '../weights/parse-safetensors.js';
import {
  type SafetensorsInput,
  type SerializeSafetensorsOptions,
  serializeSafetensors,
} from '../weights/serialize-safetensors.js';
import { atomicTempPath, writeFileAtomic } from './atomic-write.js';

/**
 * Reads and parses a safetensors file (see `parseSafetensors`: F16/BF16/F64 as float32, integers as int32).
 * @throws SafetensorsError naming the file, the tensor and the problem; Node's error when it cannot be read.
 */
export async function readSafetensorsFile(file: string): Promise<ParsedSafetensors> {
  if (typeof file !== 'string' || file === '')
    throw new TypeError(`readSafetensorsFile: file must be a non-empty path, got ${String(file)}`);
  const bytes = await readFile(file);
  try {
    return parseSafetensors(bytes);
  } catch (err) {
    if (err instanceof SafetensorsError)
      throw new SafetensorsError(`readSafetensorsFile(${file}): ${err.message}`);
    throw err;
  }
}

/**
 * Writes tensors as a safetensors file (see `serializeSafetensors` for dtypes and layout), atomically: the
 * bytes go to a temporary file `.<name>.tmp-<pid>-<random>` in the same folder, are flushed (fsync) and renamed
 * over `file`, so `file` is never left half-written; the temporary file is removed on failure. Missing
 * folders are created.
 */
export async function writeSafetensorsFile(
  file: string,
  tensors: Map<string, SafetensorsInput> | Record<string, SafetensorsInput>,
  metadata?: Record<string, string>,
  options?: SerializeSafetensorsOptions,
): Promise<void> {
  if (typeof file !== 'string' || file === '')
    throw new TypeError(`writeSafetensorsFile: file must be a non-empty path, got ${String(file)}`);
  const bytes = serializeSafetensors(tensors, metadata, options);
  try {
    await writeFileAtomic(file, bytes);
  } catch (err) {
    throw new Error(`writeSafetensorsFile: cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export interface FetchWeightsOptions {
  /** Cache folder. Default `$XDG_CACHE_HOME/cv-js/weights`, else `~/.cache/cv-js/weights`. */
  cacheDir?: string;
  /** Called as bytes arrive (at least once, finally with `loaded` equal to the size). */
  onProgress?: (progress: WeightsProgress) => void;
  /** Draw a `cli-progress` bar on stderr. Default: when stderr is a terminal and no `onProgress` is given. */
  progressBar?: boolean;
  /** Hex SHA-256 the file must have: checked after the download (nothing is cached on a mismatch) and on a hit. */
  expectedSha256?: string;
  signal?: AbortSignal;
}

/** Where `fetchWeights` caches `url`: `<cacheDir>/<first 16 hex of sha256(url)>-<file name from the URL>`. */
export function cachedWeightsPath(url: string | URL, cacheDir: string = defaultWeightsCacheDir()): string {
  const href = new URL(String(url)).href;
  const key = createHash('sha256').update(href).digest('hex').slice(0, 16);
  let name = '';
  try {
    name = decodeURIComponent(new URL(href).pathname.split('/').pop() ?? '');
  } catch {
    name = new URL(href).pathname.split('/').pop() ?? '';
  }
  name =
    name
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '')
      .slice(-100) || 'weights';
  return path.join(cacheDir, `${key}-${name}`);
}

/** `$XDG_CACHE_HOME/cv-js/weights`, else `~/.cache/cv-js/weights`. */
export function defaultWeightsCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'cv-js', 'weights');
}

/**
 * Downloads `url` into the weights cache and returns the cached file's path; a later call for the same URL
 * returns that path without downloading (like `torch.hub.load_state_dict_from_url`). The download streams to a
 * temporary file in the cache folder while its SHA-256 is computed, is checked against `expectedSha256`, then
 * renamed into place, so the cache never holds a partial or unverified file. With `expectedSha256`, a cached
 * file that does not match it is downloaded again.
 *
 * @param url an http(s) URL.
 * @throws naming the URL and the HTTP status on a failed download, or both digests on a mismatch.
 */
export async function fetchWeights(url: string | URL, options: FetchWeightsOptions = {}): Promise<string> {
  let href: string;
  try {
    href = new URL(String(url)).href;
  } catch {
    throw new TypeError(
      `fetchWeights: url must be an absolute http(s) URL, got ${JSON.stringify(String(url))}`,
    );
  }
  if (!/^https?:$/.test(new URL(href).protocol)) {
    throw new TypeError(
      `fetchWeights: url must be http(s), got ${href} (read local files with readSafetensorsFile)`,
    );
  }
  const { expectedSha256, onProgress, signal } = options;
  if (expectedSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(expectedSha256)) {
    throw new Error(
      `fetchWeights: options.expectedSha256 must be 64 hex digits, got ${JSON.stringify(expectedSha256)}`,
    );
  }
  const expected = expectedSha256?.toLowerCase();
  const cacheDir = options.cacheDir ?? defaultWeightsCacheDir();
  const target = cachedWeightsPath(href, cacheDir);

  if (await isFile(target)) {
    if (expected === undefined || (await sha256File(target)) === expected) return target;
    await rm(target, { force: true }); // corrupt or replaced upstream: fetch again
  }

  await mkdir(cacheDir, { recursive: true });
  const res = await httpGet(fetch, 'fetchWeights', href, signal);
  const total = contentLength(res);
  const showBar = options.progressBar ?? (!onProgress && process.stderr.isTTY === true);
  const bar = showBar ? makeBar(path.basename(target).slice(17), total) : undefined;
  const report = (loaded: number, t: number | undefined) => {
    onProgress?.({ loaded, total: t, url: href });
    bar?.update(loaded, { loadedMB: mb(loaded) });
  };

  const tmp = atomicTempPath(target);
  const hash = createHash('sha256');
  let loaded = 0;
  try {
    const handle = await open(tmp, 'w');
    try {
      report(0, total);
      if (res.body) {
        loaded = await readChunks(
          res.body,
          async (value, at) => {
            hash.update(value);
            await handle.write(value);
            report(at + value.length, total);
          },
          (n, why) => `fetchWeights: download of ${href} failed after ${n} bytes: ${why}`,
        );
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (total !== undefined && loaded !== total)
      throw new Error(`fetchWeights: ${href} ended after ${loaded} of ${total} bytes`);
    if (total === undefined) report(loaded, loaded);
    const actual = hash.digest('hex');
    if (expected !== undefined && actual !== expected) {
      throw new Error(
        `fetchWeights: SHA-256 of ${href} is ${actual}, expected ${expected}; nothing was cached`,
      );
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    bar?.stop();
  }
  return target;
}

/**
 * Reads weights from a path, a `file:` URL, or an http(s) URL (downloaded and cached by `fetchWeights` first).
 * What the examples call for `--weights <file or URL>`.
 */
export async function readWeights(
  source: string | URL,
  options: FetchWeightsOptions = {},
): Promise<ParsedSafetensors> {
  const s = String(source);
  if (/^https?:\/\//i.test(s)) return readSafetensorsFile(await fetchWeights(s, options));
  return readSafetensorsFile(/^file:/i.test(s) ? fileURLToPath(s) : s);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function sha256File(p: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(p)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const mb = (n: number) => (n / 2 ** 20).toFixed(1);

function makeBar(name: string, total: number | undefined): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    {
      format:
        total === undefined
          ? `${name} {loadedMB} MB | {duration_formatted}`
          : `${name} [{bar}] {percentage}% | {loadedMB}/${mb(total)} MB | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, { loadedMB: mb(0) });
  return bar;
}
