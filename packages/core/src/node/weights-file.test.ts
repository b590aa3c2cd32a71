// Fixture: fixtures/weights/tiny_f32.safetensors, made by fixtures/weights/make_safetensors.py. Downloads come
// from a local http.createServer on 127.0.0.1; every file goes to a fresh temporary folder.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import type { WeightsProgress } from '../weights/load-safetensors.js';
import { parseSafetensors } from '../weights/parse-safetensors.js';
import {
  cachedWeightsPath,
  defaultWeightsCacheDir,
  fetchWeights,
  readSafetensorsFile,
  readWeights,
  writeSafetensorsFile,
} from './weights-file.js';

const fixturePath = new URL('../../fixtures/weights/tiny_f32.safetensors', import.meta.url);
const file = readFileSync(fixturePath);
const sha = createHash('sha256').update(file).digest('hex');

const hits = new Map<string, number>();
let server: Server;
let base: string;
let tmp: string;
let shortResponse: { destroy(): void } | undefined;

beforeAll(async () => {
  await initBackend('cpu', { log: false });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cv-weights-'));
  server = createServer((req, res) => {
    const p = req.url ?? '';
    hits.set(p, (hits.get(p) ?? 0) + 1);
    if (p.startsWith('/w/')) {
      res.writeHead(200, { 'content-length': String(file.length) });
      const half = Math.ceil(file.length / 2);
      res.write(file.subarray(0, half));
      setTimeout(() => res.end(file.subarray(half)), 5);
    } else if (p === '/chunked/x.safetensors') {
      res.writeHead(200);
      res.end(file);
    } else if (p === '/short/x.safetensors') {
      res.writeHead(200, { 'content-length': String(file.length + 10) });
      res.write(file);
      // Cut off by the test once the client has read every byte sent (deterministic, not timed).
      shortResponse = res;
    } else {
      res.writeHead(404, 'Not Found').end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

const freshDir = () => mkdtempSync(path.join(tmp, 'cache-'));

describe('readSafetensorsFile / writeSafetensorsFile', () => {
  it('reads a fixture and writes tensors atomically (no temporary file left), round trip exact', async () => {
    const parsed = await readSafetensorsFile(fileURLToPath(fixturePath));
    expect(parsed.tensors.get('bn.num_batches_tracked')).toEqual({
      dtype: 'I64',
      shape: [],
      data: Int32Array.of(1),
    });
    const dir = freshDir();
    const out = path.join(dir, 'model.safetensors');
    const w = tf.tensor2d([
      [1.5, -2],
      [3, 4],
    ]);
    await writeSafetensorsFile(out, { w, ...Object.fromEntries(parsed.tensors) }, { format: 'pt' });
    w.dispose();
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
    const again = await readSafetensorsFile(out);
    expect(again.metadata).toEqual({ format: 'pt' });
    expect(Array.from(again.tensors.get('w')!.data)).toEqual([1.5, -2, 3, 4]);
    for (const [k, t] of parsed.tensors) expect(again.tensors.get(k)).toEqual(t);
    // Overwriting replaces the file whole.
    await writeSafetensorsFile(out, new Map([['only', { dtype: 'F16' as const, shape: [1], data: [0.5] }]]));
    expect([...(await readSafetensorsFile(out)).tensors.keys()]).toEqual(['only']);
  });

  it('names the file in errors and leaves nothing behind when writing fails', async () => {
    const dir = freshDir();
    const bad = path.join(dir, 'bad.safetensors');
    writeFileSync(bad, new Uint8Array(4));
    await expect(readSafetensorsFile(bad)).rejects.toThrow(
      `readSafetensorsFile(${bad}): parseSafetensors: the file has 4 bytes`,
    );
    await expect(readSafetensorsFile(path.join(dir, 'none.safetensors'))).rejects.toThrow(/ENOENT/);
    // A path below a regular file cannot be created.
    const target = path.join(bad, 'x.safetensors');
    await expect(writeSafetensorsFile(target, {})).rejects.toThrow(
      `writeSafetensorsFile: cannot write ${target}`,
    );
    await expect(
      writeSafetensorsFile(path.join(dir, 'y.safetensors'), { x: { dtype: 'I8', shape: [1], data: [300] } }),
    ).rejects.toThrow(/serializeSafetensors: tensor 'x': value 300/);
    expect(readdirSync(dir)).toEqual(['bad.safetensors']);
  });
});

describe('fetchWeights (local server)', () => {
  it('downloads with progress, verifies sha256, caches under sha256(url)-name, and hits the cache next time', async () => {
    const cacheDir = freshDir();
    const url = `${base}/w/resnet18%20v1.safetensors?rev=2`;
    const events: WeightsProgress[] = [];
    const got = await fetchWeights(url, {
      cacheDir,
      expectedSha256: sha.toUpperCase(),
      onProgress: (p) => events.push(p),
    });
    const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
    expect(got).toBe(path.join(cacheDir, `${key}-resnet18_v1.safetensors`));
    expect(got).toBe(cachedWeightsPath(url, cacheDir));
    expect(readFileSync(got).equals(file)).toBe(true);
    expect(events[0]).toEqual({ loaded: 0, total: file.length, url });
    expect(events.at(-1)).toEqual({ loaded: file.length, total: file.length, url });
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(cacheDir)).toEqual([path.basename(got)]);

    const again: WeightsProgress[] = [];
    expect(await fetchWeights(url, { cacheDir, expectedSha256: sha, onProgress: (p) => again.push(p) })).toBe(
      got,
    );
    expect(await fetchWeights(new URL(url), { cacheDir })).toBe(got);
    expect(hits.get('/w/resnet18%20v1.safetensors?rev=2')).toBe(1);
    expect(again).toEqual([]);
  });

  it('rejects a sha256 mismatch and leaves nothing in the cache; re-downloads a cached file that no longer matches', async () => {
    const cacheDir = freshDir();
    const url = `${base}/w/mismatch.safetensors`;
    await expect(fetchWeights(url, { cacheDir, expectedSha256: '0'.repeat(64) })).rejects.toThrow(
      `fetchWeights: SHA-256 of ${url} is ${sha}, expected ${'0'.repeat(64)}; nothing was cached`,
    );
    expect(readdirSync(cacheDir)).toEqual([]);

    const target = cachedWeightsPath(url, cacheDir);
    writeFileSync(target, 'corrupt');
    expect(await fetchWeights(url, { cacheDir, expectedSha256: sha })).toBe(target);
    expect(readFileSync(target).equals(file)).toBe(true);
    expect(hits.get('/w/mismatch.safetensors')).toBe(2);
  });

  it('fails on 404 naming the URL and the status, on a truncated body, and on bad arguments, caching nothing', async () => {
    const cacheDir = freshDir();
    await expect(fetchWeights(`${base}/missing.safetensors`, { cacheDir })).rejects.toThrow(
      `fetchWeights: GET ${base}/missing.safetensors failed: HTTP 404 Not Found`,
    );
    const cutOffWhenAllRead = ({ loaded }: { loaded: number }) => {
      if (loaded === file.length) shortResponse?.destroy();
    };
    await expect(
      fetchWeights(`${base}/short/x.safetensors`, { cacheDir, onProgress: cutOffWhenAllRead }),
    ).rejects.toThrow(
      new RegExp(
        `fetchWeights: download of ${base}/short/x.safetensors failed after ${file.length} bytes: terminated`,
      ),
    );
    await expect(fetchWeights('http://127.0.0.1:1/x.safetensors', { cacheDir })).rejects.toThrow(
      /fetchWeights: could not fetch http:\/\/127.0.0.1:1\/x.safetensors/,
    );
    await expect(fetchWeights('weights.safetensors', { cacheDir })).rejects.toThrow(
      /fetchWeights: url must be an absolute http\(s\) URL, got "weights.safetensors"/,
    );
    await expect(fetchWeights('file:///tmp/x.safetensors', { cacheDir })).rejects.toThrow(
      /fetchWeights: url must be http\(s\), got file:\/\/\/tmp\/x.safetensors/,
    );
    await expect(
      fetchWeights(`${base}/w/x.safetensors`, { cacheDir, expectedSha256: 'xyz' }),
    ).rejects.toThrow(/expectedSha256 must be 64 hex digits/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('handles a body without Content-Length and runs with a progress bar on', async () => {
    const cacheDir = freshDir();
    const events: WeightsProgress[] = [];
    const got = await fetchWeights(`${base}/chunked/x.safetensors`, {
      cacheDir,
      progressBar: true,
      onProgress: (p) => events.push(p),
    });
    expect(readFileSync(got).equals(file)).toBe(true);
    expect(events[0]!.total).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ loaded: file.length, total: file.length });
  });

  it('readWeights reads a path, a file: URL or an http URL (through the cache); the default cache folder', async () => {
    const cacheDir = freshDir();
    const p = fileURLToPath(fixturePath);
    const fromPath = await readWeights(p);
    expect(await readWeights(pathToFileURL(p))).toEqual(fromPath);
    expect(await readWeights(`${base}/w/read-weights.safetensors`, { cacheDir })).toEqual(
      parseSafetensors(file),
    );
    expect(readdirSync(cacheDir)).toHaveLength(1);
    const xdg = process.env.XDG_CACHE_HOME;
    try {
      process.env.XDG_CACHE_HOME = '/somewhere/cache';
      expect(defaultWeightsCacheDir()).toBe(path.join('/somewhere/cache', 'cv-js', 'weights'));
      delete process.env.XDG_CACHE_HOME;
      expect(defaultWeightsCacheDir()).toBe(path.join(os.homedir(), '.cache', 'cv-js', 'weights'));
    } finally {
      if (xdg === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = xdg;
    }
  });
});
