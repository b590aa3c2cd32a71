// Fixture: fixtures/weights/tiny_f32.safetensors, made by fixtures/weights/make_safetensors.py. URL sources are
// served by a local http.createServer on 127.0.0.1 and fetched with Node's global fetch, as a browser would.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadSafetensors,
  type WeightsCache,
  type WeightsCacheStorage,
  type WeightsProgress,
} from './load-safetensors.js';
import { parseSafetensors } from './parse-safetensors.js';

const file = new Uint8Array(
  readFileSync(new URL('../../fixtures/weights/tiny_f32.safetensors', import.meta.url)),
);
const sha = createHash('sha256').update(file).digest('hex');
const reference = parseSafetensors(file);

const hits = new Map<string, number>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const third = Math.ceil(file.length / 3);
    const sendInPieces = async () => {
      for (let i = 0; i < file.length; i += third) {
        res.write(file.subarray(i, i + third));
        await new Promise((r) => setTimeout(r, 5));
      }
      res.end();
    };
    if (path.startsWith('/w/')) {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(file.length),
      });
      void sendInPieces();
    } else if (path === '/chunked.safetensors') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no Content-Length: chunked
      void sendInPieces();
    } else if (path === '/short.safetensors') {
      res.writeHead(200, { 'content-length': String(file.length + 10) });
      res.write(file);
      setTimeout(() => res.destroy(), 5);
    } else if (path === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>login</title>');
    } else {
      res.writeHead(404, 'Not Found').end('no such file');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** An in-memory stand-in for the browser's CacheStorage. */
function memoryCaches() {
  const stores = new Map<string, Map<string, Uint8Array>>();
  const storage: WeightsCacheStorage = {
    async open(name) {
      const store = stores.get(name) ?? new Map<string, Uint8Array>();
      stores.set(name, store);
      const cache: WeightsCache = {
        async match(url) {
          const bytes = store.get(url);
          return bytes
            ? new Response(bytes.slice(), { headers: { 'content-length': String(bytes.length) } })
            : undefined;
        },
        async put(url, response) {
          store.set(url, new Uint8Array(await response.arrayBuffer()));
        },
        async delete(url) {
          return store.delete(url);
        },
      };
      return cache;
    },
  };
  return { storage, stores };
}

const expectSameAsFixture = (parsed: Awaited<ReturnType<typeof loadSafetensors>>) => {
  expect(parsed.metadata).toEqual(reference.metadata);
  expect([...parsed.tensors.keys()]).toEqual([...reference.tensors.keys()]);
  expect(parsed.tensors.get('conv.weight')).toEqual(reference.tensors.get('conv.weight'));
};

describe('loadSafetensors from memory', () => {
  it('parses a Uint8Array, an ArrayBuffer, a Blob and a Response, reporting progress', async () => {
    const events: WeightsProgress[] = [];
    const onProgress = (p: WeightsProgress) => events.push(p);
    expectSameAsFixture(await loadSafetensors(file, { onProgress }));
    expect(events).toEqual([{ loaded: file.length, total: file.length }]);
    expectSameAsFixture(await loadSafetensors(file.slice().buffer, { expectedSha256: sha }));
    events.length = 0;
    expectSameAsFixture(await loadSafetensors(new Blob([file]), { onProgress }));
    expect(events.at(-1)).toEqual({ loaded: file.length, total: file.length });
    expectSameAsFixture(await loadSafetensors(new Response(file)));
  });

  it('rejects a failed Response, a wrong SHA-256, a malformed expectedSha256 and other sources', async () => {
    await expect(
      loadSafetensors(new Response('x', { status: 500, statusText: 'Server Error' })),
    ).rejects.toThrow(/loadSafetensors: the response failed: HTTP 500 Server Error/);
    await expect(loadSafetensors(file, { expectedSha256: '0'.repeat(64) })).rejects.toThrow(
      `loadSafetensors: SHA-256 of the buffer is ${sha}, expected ${'0'.repeat(64)}`,
    );
    await expect(loadSafetensors(file, { expectedSha256: 'abc' })).rejects.toThrow(
      /options.expectedSha256 must be 64 hex digits, got "abc"/,
    );
    await expect(loadSafetensors(42 as never)).rejects.toThrow(
      /loadSafetensors: source must be an ArrayBuffer, Uint8Array, Blob, Response or URL, got number/,
    );
  });
});

describe('loadSafetensors from a URL (local server)', () => {
  it('streams with progress against Content-Length, caches the parsed file, and reads the cache next time', async () => {
    const { storage, stores } = memoryCaches();
    const url = `${base}/w/cached.safetensors`;
    const events: WeightsProgress[] = [];
    expectSameAsFixture(
      await loadSafetensors(url, {
        cacheStorage: storage,
        onProgress: (p) => events.push(p),
        expectedSha256: sha,
      }),
    );
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toEqual({ loaded: 0, total: file.length, url });
    expect(events.at(-1)).toEqual({ loaded: file.length, total: file.length, url });
    expect(events.every((e, i) => i === 0 || e.loaded >= events[i - 1]!.loaded)).toBe(true);
    expect(stores.get('cv-js-weights')!.has(url)).toBe(true);

    events.length = 0;
    expectSameAsFixture(
      await loadSafetensors(new URL(url), {
        cacheStorage: storage,
        onProgress: (p) => events.push(p),
        expectedSha256: sha,
      }),
    );
    expect(hits.get('/w/cached.safetensors')).toBe(1);
    expect(events.at(-1)).toEqual({ loaded: file.length, total: file.length, url, cached: true });
  });

  it('downloads again when the cached copy fails expectedSha256, and never caches with cache: false', async () => {
    const { storage, stores } = memoryCaches();
    const url = `${base}/w/stale.safetensors`;
    (await storage.open('cv-js-weights')).put(url, new Response(file.slice(0, 100)));
    expectSameAsFixture(await loadSafetensors(url, { cacheStorage: storage, expectedSha256: sha }));
    expect(hits.get('/w/stale.safetensors')).toBe(1);
    expect(stores.get('cv-js-weights')!.get(url)!.length).toBe(file.length);

    const other = `${base}/w/uncached.safetensors`;
    await loadSafetensors(other, { cacheStorage: storage, cache: false });
    await loadSafetensors(other, { cacheStorage: storage, cache: false });
    expect(hits.get('/w/uncached.safetensors')).toBe(2);
    expect(stores.get('cv-js-weights')!.has(other)).toBe(false);
  });

  it('reports total undefined without Content-Length, then the size at the end; a named cache is used', async () => {
    const { storage, stores } = memoryCaches();
    const events: WeightsProgress[] = [];
    expectSameAsFixture(
      await loadSafetensors(`${base}/chunked.safetensors`, {
        cacheStorage: storage,
        cache: 'mine',
        onProgress: (p) => events.push(p),
      }),
    );
    expect(events[0]!.total).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ loaded: file.length, total: file.length });
    expect(stores.get('mine')!.size).toBe(1);
  });

  it('fails with the URL and status on 404, with both digests on a SHA-256 mismatch, and caches neither, nor a non-safetensors page', async () => {
    const { storage, stores } = memoryCaches();
    await expect(loadSafetensors(`${base}/missing.safetensors`, { cacheStorage: storage })).rejects.toThrow(
      `loadSafetensors: GET ${base}/missing.safetensors failed: HTTP 404 Not Found`,
    );
    const url = `${base}/w/bad-sha.safetensors`;
    await expect(
      loadSafetensors(url, { cacheStorage: storage, expectedSha256: 'f'.repeat(64) }),
    ).rejects.toThrow(
      `loadSafetensors: SHA-256 of ${url} is ${sha}, expected ${'f'.repeat(64)} (not cached)`,
    );
    await expect(loadSafetensors(`${base}/page.html`, { cacheStorage: storage })).rejects.toThrow(
      /parseSafetensors: header length \d+ is over/,
    );
    expect(stores.get('cv-js-weights')!.size).toBe(0);
    await expect(loadSafetensors(`${base}/short.safetensors`, { cacheStorage: storage })).rejects.toThrow(
      `loadSafetensors: reading ${base}/short.safetensors failed after ${file.length} bytes: terminated`,
    );
    await expect(loadSafetensors('http://127.0.0.1:1/none.safetensors', { cache: false })).rejects.toThrow(
      /loadSafetensors: could not fetch http:\/\/127.0.0.1:1\/none.safetensors: /,
    );
  });
});
