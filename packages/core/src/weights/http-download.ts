/**
 * The download steps shared by the weights loaders (`loadSafetensors` here, `fetchWeights` in `../node/`):
 * GET with status check, the body's announced size, and a chunked read. Platform-neutral, with the caller's
 * `fetch` and the caller's words in every error message.
 */

/** The `fetch` the weights loaders call (`globalThis.fetch` or one the caller gives). */
export type FetchFunction = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * GETs `url` with `doFetch` (passing `signal` when given) and returns the response once its status is 2xx.
 * @param fn the caller's name, which starts every error message.
 * @throws `<fn>: could not fetch <url>: <reason>` (the fetch error as `cause`) when the request fails, and
 *   `<fn>: GET <url> failed: HTTP <status> <statusText>` when the status is not 2xx (the body is cancelled).
 */
export async function httpGet(
  doFetch: FetchFunction,
  fn: string,
  url: string,
  signal: AbortSignal | undefined,
): Promise<Response> {
  let res: Response;
  try {
    res = await doFetch(url, signal ? { signal } : undefined);
  } catch (err) {
    throw new Error(`${fn}: could not fetch ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`${fn}: GET ${url} failed: HTTP ${res.status} ${res.statusText}`.trimEnd());
  }
  return res;
}

/**
 * The body's size in bytes from its Content-Length, or undefined when there is none, it is not a plain
 * number, or the body is content-encoded (the header then counts the compressed bytes).
 */
export function contentLength(res: Response): number | undefined {
  const length = res.headers.get('content-length');
  const encoding = res.headers.get('content-encoding');
  return length !== null && /^\d+$/.test(length) && (!encoding || encoding === 'identity')
    ? Number(length)
    : undefined;
}

/**
 * Reads `stream` to its end, awaiting `onChunk(chunk, loaded)` for each chunk (`loaded`: the bytes before it),
 * and returns the number of bytes read. A failed read throws `failure(loaded, why)` (`why`: the error's
 * message and its cause's, where undici puts the socket error) with the error as `cause`.
 */
export async function readChunks(
  stream: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array, loaded: number) => void | Promise<void>,
  failure: (loaded: number, why: string) => string,
): Promise<number> {
  const reader = stream.getReader();
  let loaded = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (err) {
      const why = [(err as Error).message, ((err as Error).cause as Error | undefined)?.message]
        .filter(Boolean)
        .join(': ');
      throw new Error(failure(loaded, why), { cause: err });
    }
    const { done, value } = chunk;
    if (done) return loaded;
    const pending = onChunk(value, loaded);
    if (pending) await pending;
    loaded += value.length;
  }
}
