import { contentLength, type FetchFunction, httpGet, readChunks } from './http-download.js';
import { type ParsedSafetensors, parseSafetensors } from './parse-safetensors.js';

/** Download (or read) progress: `total` is undefined when the server sends no usable Content-Length. */
export interface WeightsProgress {
  loaded: number;
  total: number | undefined;
  /** The URL being loaded, for URL sources. */
  url?: string;
  /** True when the bytes come from the cache rather than the network. */
  cached?: boolean;
}

/** The part of the browser Cache API that `loadSafetensors` uses (a `Cache`). */
export interface WeightsCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
  delete(url: string): Promise<boolean>;
}

/** The part of the browser `CacheStorage` (`globalThis.caches`) that `loadSafetensors` uses. */
export interface WeightsCacheStorage {
  open(name: string): Promise<WeightsCache>;
}

export interface LoadSafetensorsOptions {
  /** Called as bytes arrive (at least once, finally with `loaded` equal to the size). */
  onProgress?: (progress: WeightsProgress) => void;
  /** Hex SHA-256 the file must have (checked with Web Crypto before parsing and before caching). */
  expectedSha256?: string;
  /**
   * Cache URL downloads in the Cache API: true (default) uses the cache 'cv-js-weights' when a
   * `cacheStorage` is given or `globalThis.caches` exists (browsers, secure contexts); a string names the cache;
   * false never caches. A file is cached only once it parsed (and matched `expectedSha256`).
   */
  cache?: boolean | string;
  /** CacheStorage to use instead of `globalThis.caches` (service workers, tests). */
  cacheStorage?: WeightsCacheStorage;
  /** `fetch` to use instead of `globalThis.fetch`. */
  fetch?: FetchFunction;
  signal?: AbortSignal;
}

/** The Cache API cache `loadSafetensors` uses by default. */
export const WEIGHTS_CACHE_NAME = 'cv-js-weights';

/**
 * Loads a safetensors file in any JavaScript runtime (browsers, workers, Node) and parses it with
 * `parseSafetensors` (F16/BF16/F64 read as float32; see there). URL sources are fetched with progress
 * (a streamed body against its Content-Length) and, in browsers, cached with the Cache API so the next call
 * reads them without the network. In Node, `fetchWeights`/`readSafetensorsFile` from the `node` entry cache on
 * disk instead.
 *
 * @param source the file's bytes (ArrayBuffer, Uint8Array), a Blob/File (e.g. from an `<input type=file>`),
 *   a fetched Response, or a URL (string, relative URLs resolve as `fetch` does, or URL object).
 * @returns the parsed file; `toTensors(result)` makes tf.Tensors of it.
 * @throws naming the URL and the HTTP status when the download fails, or the expected and actual SHA-256.
 */
export async function loadSafetensors(
  source: ArrayBuffer | Uint8Array | Blob | Response | string | URL,
  options: LoadSafetensorsOptions = {},
): Promise<ParsedSafetensors> {
  const { onProgress, expectedSha256 } = options;
  if (expectedSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(expectedSha256)) {
    throw new Error(
      `loadSafetensors: options.expectedSha256 must be 64 hex digits, got ${JSON.stringify(expectedSha256)}`,
    );
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    onProgress?.({ loaded: bytes.length, total: bytes.length });
    await verifySha256('loadSafetensors', bytes, expectedSha256, 'the buffer');
    return parseSafetensors(bytes);
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const bytes = await readStream(source.stream(), source.size, onProgress, {});
    await verifySha256('loadSafetensors', bytes, expectedSha256, 'the blob');
    return parseSafetensors(bytes);
  }
  if (typeof Response !== 'undefined' && source instanceof Response) {
    const what = source.url || 'the response';
    if (!source.ok)
      throw new Error(
        `loadSafetensors: ${what} failed: HTTP ${source.status} ${source.statusText}`.trimEnd(),
      );
    const bytes = await readResponse(source, onProgress, source.url ? { url: source.url } : {});
    await verifySha256('loadSafetensors', bytes, expectedSha256, what);
    return parseSafetensors(bytes);
  }
  if (typeof source === 'string' || source instanceof URL) return loadUrl(String(source), options);
  throw new TypeError(
    `loadSafetensors: source must be an ArrayBuffer, Uint8Array, Blob, Response or URL, got ${source === null ? 'null' : typeof source}`,
  );
}

async function loadUrl(url: string, options: LoadSafetensorsOptions): Promise<ParsedSafetensors> {
  const { onProgress, expectedSha256, signal } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function')
    throw new Error(`loadSafetensors: no fetch in this runtime to load ${url}`);
  const cache = await openCache(options);

  if (cache) {
    const hit = await cache.match(url).catch(() => undefined);
    if (hit) {
      const bytes = await readResponse(hit, onProgress, { url, cached: true });
      if (await sha256Matches(bytes, expectedSha256)) return parseSafetensors(bytes);
      await cache.delete(url).catch(() => false); // stale or corrupt: download again
    }
  }

  const res = await httpGet(doFetch, 'loadSafetensors', url, signal);
  const bytes = await readResponse(res, onProgress, { url });
  await verifySha256('loadSafetensors', bytes, expectedSha256, url);
  const parsed = parseSafetensors(bytes);
  if (cache) {
    const stored = new Response(bytes, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
    });
    await cache.put(url, stored).catch(() => undefined); // a full or unavailable cache must not fail the load
  }
  return parsed;
}

async function openCache(options: LoadSafetensorsOptions): Promise<WeightsCache | undefined> {
  const { cache = true } = options;
  if (cache === false) return undefined;
  const storage = options.cacheStorage ?? (globalThis as { caches?: WeightsCacheStorage }).caches;
  if (!storage) return undefined;
  try {
    return await storage.open(typeof cache === 'string' ? cache : WEIGHTS_CACHE_NAME);
  } catch {
    return undefined; // e.g. opaque origins and some private modes refuse the Cache API
  }
}

/** Reads a response's body with progress; `total` from Content-Length unless the body is content-encoded. */
async function readResponse(
  res: Response,
  onProgress: LoadSafetensorsOptions['onProgress'],
  info: { url?: string; cached?: boolean },
): Promise<Uint8Array<ArrayBuffer>> {
  const total = contentLength(res);
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    onProgress?.({ loaded: bytes.length, total: bytes.length, ...info });
    return bytes;
  }
  return readStream(res.body, total, onProgress, info);
}

async function readStream(
  stream: ReadableStream<Uint8Array>,
  total: number | undefined,
  onProgress: LoadSafetensorsOptions['onProgress'],
  info: { url?: string; cached?: boolean },
): Promise<Uint8Array<ArrayBuffer>> {
  let buf = new Uint8Array(total ?? 1 << 16);
  onProgress?.({ loaded: 0, total, ...info });
  const loaded = await readChunks(
    stream,
    (value, at) => {
      if (at + value.length > buf.length) {
        const grown = new Uint8Array(Math.max(buf.length * 2, at + value.length));
        grown.set(buf.subarray(0, at));
        buf = grown;
      }
      buf.set(value, at);
      onProgress?.({ loaded: at + value.length, total, ...info });
    },
    (n, why) => `loadSafetensors: reading ${info.url ?? 'the stream'} failed after ${n} bytes: ${why}`,
  );
  if (total !== undefined && loaded !== total) {
    throw new Error(`loadSafetensors: ${info.url ?? 'the stream'} ended after ${loaded} of ${total} bytes`);
  }
  if (total === undefined) onProgress?.({ loaded, total: loaded, ...info });
  return loaded === buf.length ? buf : buf.slice(0, loaded);
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle)
    throw new Error(
      'loadSafetensors: expectedSha256 needs Web Crypto (crypto.subtle: a secure context in browsers)',
    );
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256Matches(bytes: Uint8Array, expected: string | undefined): Promise<boolean> {
  return expected === undefined || (await sha256Hex(bytes)) === expected.toLowerCase();
}

async function verifySha256(
  fn: string,
  bytes: Uint8Array,
  expected: string | undefined,
  what: string,
): Promise<void> {
  if (expected === undefined) return;
  const actual = await sha256Hex(bytes);
  if (actual !== expected.toLowerCase()) {
    throw new Error(
      `${fn}: SHA-256 of ${what} is ${actual}, expected ${expected.toLowerCase()}${what.includes('://') ? ' (not cached)' : ''}`,
    );
  }
}
