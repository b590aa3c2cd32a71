/** `Promise.all(items.map(fn))` with at most `limit` calls in flight (bounded memory for big folders). */
export async function mapLimit<T, U>(
  items: readonly T[],
  limit: number,
  fn: (x: T, i: number) => Promise<U>,
): Promise<U[]> {
  const out = new Array<U>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
