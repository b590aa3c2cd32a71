/**
 * A tiny seeded pseudo-random generator for data pipelines: mulberry32 (Tommy Ettinger's public-domain
 * 32-bit generator; 2^32 period, passes gjrand/PractRand up to a few GB, more than shuffling needs).
 * The same seed gives the same sequence on every platform and run (all arithmetic is 32-bit integer
 * `Math.imul`), unlike `Math.random`. It is not cryptographic.
 *
 * PyTorch seeds its `RandomSampler` from a generator advanced once per epoch, so each epoch has a new
 * order that a fixed seed reproduces; {@link epochSeed} gives the same property here: the order of epoch
 * `e` depends only on `(seed, e)`.
 */

/** A seeded generator ({@link Rng}) or any `() => number` in [0, 1) such as `Math.random`. */
export type RandomSource = Rng | (() => number);

function checkSeed(fn: string, seed: number): void {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new Error(`${fn}: seed must be an integer, got ${String(seed)}`);
  }
}

/** murmur3's 32-bit finalizer: a bijection that mixes every input bit into every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The seed of epoch `epoch` for a loader seeded with `seed`: `fmix32(fmix32(seed) ^ fmix32(epoch + φ))`
 * (φ = 0x9e3779b9), an unsigned 32-bit integer. Different epochs give unrelated streams; the same
 * `(seed, epoch)` always gives the same one.
 */
export function epochSeed(seed: number, epoch: number): number {
  checkSeed('epochSeed', seed);
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new Error(`epochSeed: epoch must be an integer ≥ 0, got ${epoch}`);
  return fmix32(fmix32(seed >>> 0) ^ fmix32((epoch + 0x9e3779b9) >>> 0));
}

/** Seeded mulberry32 generator. `new Rng(42).next()` is the same number everywhere. */
export class Rng {
  private state: number;

  /** @param seed any integer; it is taken modulo 2^32. */
  constructor(seed: number) {
    checkSeed('Rng', seed);
    this.state = seed >>> 0;
  }

  /** The next float in [0, 1), a multiple of 2^-32. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi] (both inclusive, like Python's `random.randint`). */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new Error(`Rng.int: expected integers lo ≤ hi, got lo=${lo}, hi=${hi}`);
    }
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = array[i]!;
      array[i] = array[j]!;
      array[j] = tmp;
    }
    return array;
  }

  /** A random permutation of 0..n-1 (like `torch.randperm(n)`, though not the same numbers). */
  permutation(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new Error(`Rng.permutation: n must be an integer ≥ 0, got ${n}`);
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}

/** The uniform [0, 1) function of a {@link RandomSource}. */
export function uniform(source: RandomSource): () => number {
  if (source instanceof Rng) return () => source.next();
  if (typeof source === 'function') return source;
  throw new Error(`uniform: expected an Rng or a () => number, got ${typeof source}`);
}

/** An integer in [lo, hi] (inclusive) drawn from any {@link RandomSource}. */
export function randomInt(source: RandomSource, lo: number, hi: number): number {
  if (source instanceof Rng) return source.int(lo, hi);
  const u = uniform(source)();
  return lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1)));
}
