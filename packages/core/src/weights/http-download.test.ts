import { describe, expect, it } from 'vitest';
import { contentLength, httpGet, readChunks } from './http-download.js';

describe('httpGet', () => {
  it('returns a 2xx response and passes the signal only when given', async () => {
    const seen: (RequestInit | undefined)[] = [];
    const ok = async (_url: string, init?: RequestInit) => {
      seen.push(init);
      return new Response('abc', { status: 200 });
    };
    const signal = new AbortController().signal;
    expect(await (await httpGet(ok, 'f', 'http://h/a', signal)).text()).toBe('abc');
    await httpGet(ok, 'f', 'http://h/a', undefined);
    expect(seen).toEqual([{ signal }, undefined]);
  });

  it('names the caller, the URL and the status, and keeps the fetch error as cause', async () => {
    const notFound = async () => new Response('gone', { status: 404, statusText: 'Not Found' });
    await expect(httpGet(notFound, 'myLoader', 'http://h/a', undefined)).rejects.toThrow(
      'myLoader: GET http://h/a failed: HTTP 404 Not Found',
    );
    const bare = async () => new Response(null, { status: 500 });
    await expect(httpGet(bare, 'myLoader', 'http://h/b', undefined)).rejects.toThrow(
      /^myLoader: GET http:\/\/h\/b failed: HTTP 500$/,
    );
    const cause = new TypeError('fetch failed');
    const down = async () => {
      throw cause;
    };
    const err = await httpGet(down, 'myLoader', 'http://h/c', undefined).catch((e: Error) => e);
    expect((err as Error).message).toBe('myLoader: could not fetch http://h/c: fetch failed');
    expect((err as Error).cause).toBe(cause);
  });
});

describe('contentLength', () => {
  it('reads a plain Content-Length only', () => {
    const res = (headers: Record<string, string>) => new Response(null, { headers });
    expect(contentLength(res({ 'content-length': '12' }))).toBe(12);
    expect(contentLength(res({ 'content-length': '12', 'content-encoding': 'identity' }))).toBe(12);
    expect(contentLength(res({ 'content-length': '12', 'content-encoding': 'gzip' }))).toBeUndefined();
    expect(contentLength(res({ 'content-length': '1e3' }))).toBeUndefined();
    expect(contentLength(res({}))).toBeUndefined();
  });
});

describe('readChunks', () => {
  const stream = (chunks: number[][], fail?: Error) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new Uint8Array(c));
        if (fail) controller.error(fail);
        else controller.close();
      },
    });

  it('passes every chunk with the bytes before it, awaiting async callbacks, and returns the total', async () => {
    const seen: [number[], number][] = [];
    const n = await readChunks(
      stream([[1, 2], [3], [4, 5, 6]]),
      async (c, at) => {
        await Promise.resolve();
        seen.push([Array.from(c), at]);
      },
      () => 'unused',
    );
    expect(n).toBe(6);
    expect(seen).toEqual([
      [[1, 2], 0],
      [[3], 2],
      [[4, 5, 6], 3],
    ]);
  });

  it("throws the caller's message with the error and its cause's, and the error as cause", async () => {
    const cause = new Error('terminated', { cause: new Error('other side closed') });
    const read = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(cause);
      },
    });
    const err = await readChunks(
      read,
      () => {},
      (n, why) => `f: read failed after ${n} bytes: ${why}`,
    ).catch((e: Error) => e);
    expect((err as Error).message).toBe('f: read failed after 0 bytes: terminated: other side closed');
    expect((err as Error).cause).toBe(cause);
    await expect(
      readChunks(
        stream([], new Error('reset')),
        () => {},
        (n, why) => `g: ${n} ${why}`,
      ),
    ).rejects.toThrow(/^g: 0 reset$/);
  });
});
