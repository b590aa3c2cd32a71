/**
 * The counter-based hash that `fixtures/make_fixtures.py` uses to make weights, inputs and labels, so the
 * parity tests need no weight file: both sides compute every value in float64 and round once to float32,
 * which gives the same bits in NumPy and JavaScript. Test support, not part of the public API.
 */

/** 32-bit FNV-1a of an ASCII string. */
export function fnv1a(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Chris Wellons' lowbias32 integer hash. */
function lowbias32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** `n` values in [0, 1): `u(name, i) = lowbias32((i + fnv1a(name)) mod 2³²) / 2³²` (float64). */
export function hashUniform(name: string, n: number): Float64Array {
  const h = fnv1a(name);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lowbias32((i + h) >>> 0) / 4294967296;
  return out;
}

/**
 * The fixture's value of state-dict entry `name` with PyTorch shape `shape` (see make_fixtures.py's
 * `value_for`), as float32 in PyTorch's layout.
 */
export function fixtureValue(name: string, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = hashUniform(name, n);
  const leaf = name.slice(name.lastIndexOf('.') + 1);
  const out = new Float32Array(n);
  let f: (u: number) => number;
  if (name.startsWith('transpose_conv.') && leaf === 'bias') f = (v) => 0.1 * (2 * v - 1);
  else if (leaf === 'running_var') f = (v) => 0.5 + v;
  else if (leaf === 'weight' && shape.length === 1) f = (v) => 0.4 + 0.6 * v;
  else if (
    (leaf === 'running_mean' || leaf === 'bias') &&
    !(name.startsWith('fc.') || name.startsWith('final_conv.'))
  )
    f = (v) => 0.2 * (2 * v - 1);
  else if (shape.length === 4 && !name.startsWith('final_conv.')) {
    const bound = Math.sqrt(6 / (shape[1]! * shape[2]! * shape[3]!));
    f = (v) => (2 * v - 1) * bound;
  } else {
    const s = Math.sqrt(512);
    f = (v) => (2 * v - 1) / s;
  }
  for (let i = 0; i < n; i++) out[i] = f(u[i]!);
  return out;
}
