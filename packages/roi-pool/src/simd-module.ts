/**
 * The four loops of the registered RoI kernels as a small WebAssembly module with 128-bit SIMD, assembled
 * here from its opcodes (no toolchain, no binary file: this file is the source). Every function works on
 * byte offsets into one imported memory, `env.memory`: the WASM backend's own heap (zero copies) or a
 * memory of this package (for the CPU backend: inputs copied in, outputs copied out).
 *
 * Channels are the innermost axis (NHWC rows `[R, C]`): each loop runs over a row of `C` float32 values,
 * four at a time, then one at a time for the last `C mod 4`.
 *
 * - `sparseSum(x, C, binStart, cell, weight, numBins, out)`: `out[i] = Σ_t weight[t] · x[cell[t]]` over
 *   `t ∈ [binStart[i], binStart[i+1])` (RoI align: bilinear taps).
 * - `sparseSumGrad(dy, C, binStart, cell, weight, numBins, dx)`: `dx[cell[t]] += weight[t] · dy[i]` (`dx`
 *   zeroed by the caller).
 * - `sparseMax(x, C, binStart, cell, numBins, out, argmax)`: per channel, the maximum over the bin's cells
 *   starting from −FLT_MAX, and the FIRST cell that holds it (strict `>`, as torchvision's `roi_pool`, so a
 *   NaN never wins and ties go to the earliest cell), or −1 when no cell exceeds −FLT_MAX; an empty bin is
 *   0 with argmax −1.
 * - `sparseMaxGrad(dy, argmax, C, numBins, dx, R)`: `dx[argmax[i, c], c] += dy[i, c]` where
 *   `0 ≤ argmax < R` (`dx` zeroed by the caller).
 * - `sparseMaxPacked` (same arguments): the argmax as the position of the cell in the bin's list, one byte
 *   per channel (255: none), rows of `(C + 3) & ~3` bytes; for bins of at most 255 cells.
 * - `sparseMaxGradPacked(dy, argmax, C, numBins, dx, binStart, cell)`: its gradient; a position outside the
 *   bin's list writes nothing (`dx` zeroed by the caller).
 *
 * Offsets are unsigned 32-bit: every buffer lies below 4 GiB, as WebAssembly memory does.
 */

type Code = number[];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const EMPTY = 0x40;

/** The largest finite float32; torchvision starts each bin's maximum below every finite value. */
export const FLT_MAX = 3.4028234663852886e38;

function uleb(n: number): Code {
  const out: Code = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(n: number): Code {
  const out: Code = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const utf8 = (s: string): Code => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
const vec = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

// Instructions (each returns the code that leaves its value on the stack, or nothing for statements).
const get = (i: number): Code => [0x20, ...uleb(i)];
const set = (i: number, value: Code): Code => [...value, 0x21, ...uleb(i)];
const i32 = (n: number): Code => [0x41, ...sleb(n)];
const f32 = (x: number): Code => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)];
const bin =
  (op: number) =>
  (a: Code, b: Code): Code => [...a, ...b, op];
const add = bin(0x6a);
const mul = bin(0x6c);
const and = bin(0x71);
const shl = bin(0x74);
const fadd = bin(0x92);
const fmul = bin(0x94);
const fgt = bin(0x5e);
const eq = bin(0x46);
const ltU = bin(0x49);
const sub = bin(0x6b);
const shrU = bin(0x76);
// Memory access: alignment hint 4 bytes (log2 2), offset 0 unless given.
const load =
  (op: number) =>
  (addr: Code, offset = 0): Code => [...addr, op, 2, ...uleb(offset)];
const loadI32 = load(0x28);
const loadF32 = load(0x2a);
const store =
  (op: number) =>
  (addr: Code, value: Code): Code => [...addr, ...value, op, 2, 0];
const storeI32 = store(0x36);
const storeF32 = store(0x38);
// SIMD (prefix 0xfd, then the opcode as unsigned LEB128).
const simd = (op: number): Code => [0xfd, ...uleb(op)];
const loadV = (addr: Code, offset = 0): Code => [...addr, ...simd(0x00), 2, ...uleb(offset)];
const storeV = (addr: Code, value: Code, offset = 0): Code => [
  ...addr,
  ...value,
  ...simd(0x0b),
  2,
  ...uleb(offset),
];
const splatI32 = (x: Code): Code => [...x, ...simd(0x11)];
const splatF32 = (x: Code): Code => [...x, ...simd(0x13)];
const vgt = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x44)];
const vadd = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)];
const vmul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe6)];
/** Unsigned saturating narrowing: i32x4 ×2 → i16x8, i16x8 ×2 → i8x16. */
const narrow16 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x86)];
const narrow8 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x66)];
/** `(a & mask) | (b & ~mask)` */
const bitselect = (a: Code, b: Code, mask: Code): Code => [...a, ...b, ...mask, ...simd(0x52)];
/** `cond ? a : b` for v128 values (an `if` with a v128 result). */
const ifValue = (cond: Code, a: Code, b: Code): Code => [...cond, 0x04, V128, ...a, 0x05, ...b, 0x0b];
const ifThen = (cond: Code, then: Code, otherwise?: Code): Code =>
  otherwise
    ? [...cond, 0x04, EMPTY, ...then, 0x05, ...otherwise, 0x0b]
    : [...cond, 0x04, EMPTY, ...then, 0x0b];

/** `while (local[i] <u end) { body; local[i] += step }` */
function loop(i: number, end: Code, step: number, body: Code): Code {
  return [
    0x02,
    EMPTY,
    0x03,
    EMPTY,
    ...get(i),
    ...end,
    0x4f, // i32.ge_u
    0x0d,
    1, // br_if out of the block
    ...body,
    ...set(i, add(get(i), i32(step))),
    0x0c,
    0, // br to the loop's start
    0x0b,
    0x0b,
  ];
}

/** A function body: local declarations `[count, type]` and the code. */
function body(locals: [number, number][], code: Code): Code {
  const b = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code, 0x0b];
  return [...uleb(b.length), ...b];
}

/** Vectors (of 4 channels) per register block of the sum loops and of the max loop. */
const SUM_BLOCK = 8;
const MAX_BLOCK = 4;
const ZERO_V: Code = [...simd(0x0c), ...new Array(16).fill(0)];

/**
 * The channels of a row in blocks: `blocks` of `n` vectors while `cb <u end(n)`, then of 1 vector, then
 * scalars; `block(n, vectorCount)` emits the code of one block at byte offset `cb` (a local).
 */
function channelBlocks(
  cb: number,
  C: number,
  n: number,
  block: (vectors: number) => Code,
  scalar: Code,
): Code {
  // Bytes of the channels covered by blocks of n vectors (C rounded down to 4n), then of single vectors.
  const blockEnd = shl(and(get(C), i32(-4 * n)), i32(2));
  const vectorEnd = shl(and(get(C), i32(-4)), i32(2));
  return [
    ...set(cb, i32(0)),
    ...loop(cb, blockEnd, 16 * n, block(n)),
    ...loop(cb, vectorEnd, 16, block(1)),
    ...loop(cb, shl(get(C), i32(2)), 4, scalar),
  ];
}

// sparseSum / sparseSumGrad: params 0 src, 1 C, 2 binStart, 3 cell, 4 weight, 5 numBins, 6 dst.
// Locals: i32 7 bin, 8 t, 9 t1, 10 t0, 11 row (the bin's row + cb), 12 xo (the tap's row + cb), 13 cb,
// 14 Cb; f32 15 w, 16 s; v128 17 wv, 18.. the block's accumulators (forward) or dy vectors (backward).
function sparseSumCode(grad: boolean): Code {
  const [bin, t, t1, t0, row, xo, cb, Cb, w, sAcc, wv] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const reg = (j: number) => 18 + j;
  const tapStart: Code = [
    ...set(w, loadF32(add(get(4), shl(get(t), i32(2))))),
    ...set(xo, add(add(get(grad ? 6 : 0), mul(loadI32(add(get(3), shl(get(t), i32(2)))), get(Cb))), get(cb))),
  ];
  const rowAt = set(row, add(add(get(grad ? 0 : 6), mul(get(bin), get(Cb))), get(cb)));
  const taps = (code: Code): Code => [...set(t, get(t0)), ...loop(t, get(t1), 1, [...tapStart, ...code])];
  // Forward: accumulate n vectors over the taps in registers, then store them to the bin's row.
  // Backward: load the bin's n dy vectors once, then add w·dy to every tap's row of dx.
  const block = (n: number): Code => {
    const js = Array.from({ length: n }, (_, j) => j);
    if (!grad) {
      return [
        ...rowAt,
        ...js.flatMap((j) => set(reg(j), ZERO_V)),
        ...taps([
          ...set(wv, splatF32(get(w))),
          ...js.flatMap((j) => set(reg(j), vadd(get(reg(j)), vmul(get(wv), loadV(get(xo), 16 * j))))),
        ]),
        ...js.flatMap((j) => storeV(get(row), get(reg(j)), 16 * j)),
      ];
    }
    return [
      ...rowAt,
      ...js.flatMap((j) => set(reg(j), loadV(get(row), 16 * j))),
      ...taps([
        ...set(wv, splatF32(get(w))),
        ...js.flatMap((j) =>
          storeV(get(xo), vadd(loadV(get(xo), 16 * j), vmul(get(wv), get(reg(j)))), 16 * j),
        ),
      ]),
    ];
  };
  const scalar: Code = !grad
    ? [
        ...rowAt,
        ...set(sAcc, f32(0)),
        ...taps(set(sAcc, fadd(get(sAcc), fmul(get(w), loadF32(get(xo)))))),
        ...storeF32(get(row), get(sAcc)),
      ]
    : [
        ...rowAt,
        ...set(sAcc, loadF32(get(row))),
        ...taps(storeF32(get(xo), fadd(loadF32(get(xo)), fmul(get(w), get(sAcc))))),
      ];
  return body(
    [
      [8, I32],
      [2, F32],
      [1 + SUM_BLOCK, V128],
    ],
    [
      ...set(Cb, shl(get(1), i32(2))),
      ...set(bin, i32(0)),
      ...loop(bin, get(5), 1, [
        ...set(t0, loadI32(add(get(2), shl(get(bin), i32(2))))),
        ...set(t1, loadI32(add(get(2), shl(get(bin), i32(2))), 4)),
        ...channelBlocks(cb, 1, SUM_BLOCK, block, scalar),
      ]),
    ],
  );
}

// sparseMax / sparseMaxPacked: params 0 x, 1 C, 2 binStart, 3 cell, 4 numBins, 5 out, 6 argmax.
// Locals: i32 7 bin, 8 t, 9 t1, 10 t0, 11 o (the bin's byte offset + cb), 12 xo, 13 cb, 14 Cb, 15 id,
// 16 ab (packed: the argmax byte of channel cb/4), 17 rowBytes; f32 18 m, 19 v; v128 20 idv, 21 init (splat
// of the start value), 22 vv, 23 gt, 24.. maxima, then argmaxes.
// The argmax is the cell's row (int32, −1 for none) or, packed, its position in the bin's list (one byte,
// 255 for none; rows of `(C + 3) & ~3` bytes).
function sparseMaxCode(packed: boolean): Code {
  const [bin, t, t1, t0, o, xo, cb, Cb, id, ab, rowBytes, m, v, idv, init, vv, gt] = [
    7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
  ];
  const mReg = (j: number) => 24 + j;
  const aReg = (j: number) => 24 + MAX_BLOCK + j;
  const none = packed ? 255 : -1;
  const cells = (code: Code): Code => [
    ...set(t, get(t0)),
    ...loop(t, get(t1), 1, [
      ...set(id, loadI32(add(get(3), shl(get(t), i32(2))))),
      ...set(xo, add(add(get(0), mul(get(id), get(Cb))), get(cb))),
      ...code,
    ]),
  ];
  // What the argmax records for the current cell.
  const which = packed ? sub(get(t), get(t0)) : get(id);
  const at: Code = [
    ...set(o, add(mul(get(bin), get(Cb)), get(cb))),
    ...(packed ? set(ab, add(add(get(6), mul(get(bin), get(rowBytes))), shrU(get(cb), i32(2)))) : []),
  ];
  const storeArgmax = (n: number): Code => {
    if (!packed)
      return Array.from({ length: n }, (_, j) => storeV(add(get(6), get(o)), get(aReg(j)), 16 * j)).flat();
    // Positions < 256: unsigned narrowing i32 → i16 → i8 keeps them; 4 vectors fill 16 bytes.
    if (n === 4) {
      return storeV(
        get(ab),
        narrow8(narrow16(get(aReg(0)), get(aReg(1))), narrow16(get(aReg(2)), get(aReg(3)))),
      );
    }
    const bytes = narrow8(narrow16(get(aReg(0)), get(aReg(0))), narrow16(get(aReg(0)), get(aReg(0))));
    return storeI32(get(ab), [...bytes, ...simd(0x1b), 0]);
  };
  const block = (n: number): Code => {
    const js = Array.from({ length: n }, (_, j) => j);
    return [
      ...at,
      ...js.flatMap((j) => [...set(mReg(j), get(init)), ...set(aReg(j), splatI32(i32(none)))]),
      ...cells([
        ...set(idv, splatI32(which)),
        ...js.flatMap((j) => [
          ...set(vv, loadV(get(xo), 16 * j)),
          ...set(gt, vgt(get(vv), get(mReg(j)))),
          // pmax(m, v) = m < v ? v : m: the new maximum where v > m (never a NaN v), as the mask says.
          ...set(mReg(j), [...get(mReg(j)), ...get(vv), ...simd(0xeb)]),
          ...set(aReg(j), bitselect(get(idv), get(aReg(j)), get(gt))),
        ]),
      ]),
      ...js.flatMap((j) => storeV(add(get(5), get(o)), get(mReg(j)), 16 * j)),
      ...storeArgmax(n),
    ];
  };
  const storeOne = (value: Code): Code =>
    packed ? [...get(ab), ...value, 0x3a, 0, 0] : storeI32(add(get(6), get(o)), value);
  const scalar: Code = [
    ...at,
    // The start value: 0 for an empty bin, −FLT_MAX otherwise (lane 0 of init).
    ...set(m, [...get(init), ...simd(0x1f), 0]),
    ...storeOne(i32(none)),
    ...cells([
      ...set(v, loadF32(get(xo))),
      ...ifThen(fgt(get(v), get(m)), [...set(m, get(v)), ...storeOne(which)]),
    ]),
    ...storeF32(add(get(5), get(o)), get(m)),
  ];
  return body(
    [
      [11, I32],
      [2, F32],
      [4 + 2 * MAX_BLOCK, V128],
    ],
    [
      ...set(Cb, shl(get(1), i32(2))),
      ...set(rowBytes, and(add(get(1), i32(3)), i32(-4))),
      ...set(bin, i32(0)),
      ...loop(bin, get(4), 1, [
        ...set(t0, loadI32(add(get(2), shl(get(bin), i32(2))))),
        ...set(t1, loadI32(add(get(2), shl(get(bin), i32(2))), 4)),
        ...set(init, ifValue(eq(get(t0), get(t1)), splatF32(f32(0)), splatF32(f32(-FLT_MAX)))),
        ...channelBlocks(cb, 1, MAX_BLOCK, block, scalar),
      ]),
    ],
  );
}

// sparseMaxGrad: params 0 dy, 1 argmax, 2 C, 3 numBins, 4 dx, 5 R.
// Locals: 6 bin, 7 o (the bin's byte offset in dy and argmax), 8 cb, 9 Cb, 10 id, 11 p.
function sparseMaxGradCode(): Code {
  const [bin, o, cb, Cb, id, p] = [6, 7, 8, 9, 10, 11];
  return body(
    [[6, I32]],
    [
      ...set(Cb, shl(get(2), i32(2))),
      ...set(bin, i32(0)),
      ...loop(bin, get(3), 1, [
        ...set(o, mul(get(bin), get(Cb))),
        ...set(cb, i32(0)),
        ...loop(cb, get(Cb), 4, [
          ...set(id, loadI32(add(add(get(1), get(o)), get(cb)))),
          // Unsigned: −1 (no maximum) and any index outside [0, R) write nothing.
          ...ifThen(ltU(get(id), get(5)), [
            ...set(p, add(add(get(4), mul(get(id), get(Cb))), get(cb))),
            ...storeF32(get(p), fadd(loadF32(get(p)), loadF32(add(add(get(0), get(o)), get(cb))))),
          ]),
        ]),
      ]),
    ],
  );
}

// sparseMaxGradPacked: params 0 dy, 1 argmax (packed), 2 C, 3 numBins, 4 dx, 5 binStart, 6 cell.
// Locals: 7 bin, 8 pdy (the bin's dy row), 9 cb, 10 Cb, 11 j, 12 p, 13 pa (the argmax byte of channel cb/4),
// 14 cells (the bin's list), 15 n (the bin's cell count), 16 rowBytes, 17 t0.
function sparseMaxGradPackedCode(): Code {
  const [bin, pdy, cb, Cb, j, p, pa, cells, n, rowBytes, t0] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  return body(
    [[11, I32]],
    [
      ...set(Cb, shl(get(2), i32(2))),
      ...set(rowBytes, and(add(get(2), i32(3)), i32(-4))),
      ...set(bin, i32(0)),
      ...loop(bin, get(3), 1, [
        ...set(pdy, add(get(0), mul(get(bin), get(Cb)))),
        ...set(pa, add(get(1), mul(get(bin), get(rowBytes)))),
        ...set(t0, loadI32(add(get(5), shl(get(bin), i32(2))))),
        ...set(n, sub(loadI32(add(get(5), shl(get(bin), i32(2))), 4), get(t0))),
        ...set(cells, add(get(6), shl(get(t0), i32(2)))),
        ...set(cb, i32(0)),
        ...loop(cb, get(Cb), 4, [
          ...set(j, [...get(pa), 0x2d, 0, 0]), // i32.load8_u
          // 255 (no maximum) and any position outside the bin's list write nothing.
          ...ifThen(ltU(get(j), get(n)), [
            ...set(p, add(add(get(4), mul(loadI32(add(get(cells), shl(get(j), i32(2)))), get(Cb))), get(cb))),
            ...storeF32(get(p), fadd(loadF32(get(p)), loadF32(add(get(pdy), get(cb))))),
          ]),
          ...set(pa, add(get(pa), i32(1))),
        ]),
      ]),
    ],
  );
}

/** The exports of the module (byte offsets; see the file's comment). */
export interface RoISimdExports {
  sparseSum(
    x: number,
    C: number,
    binStart: number,
    cell: number,
    weight: number,
    bins: number,
    out: number,
  ): void;
  sparseSumGrad(
    dy: number,
    C: number,
    binStart: number,
    cell: number,
    weight: number,
    bins: number,
    dx: number,
  ): void;
  sparseMax(
    x: number,
    C: number,
    binStart: number,
    cell: number,
    bins: number,
    out: number,
    argmax: number,
  ): void;
  sparseMaxGrad(dy: number, argmax: number, C: number, bins: number, dx: number, rows: number): void;
  sparseMaxPacked(
    x: number,
    C: number,
    binStart: number,
    cell: number,
    bins: number,
    out: number,
    argmax: number,
  ): void;
  sparseMaxGradPacked(
    dy: number,
    argmax: number,
    C: number,
    bins: number,
    dx: number,
    binStart: number,
    cell: number,
  ): void;
}

/** The module's bytes; `shared`: it imports a shared memory (the WASM backend's threaded build). */
export function roiSimdBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const fn7 = [0x60, ...vec(new Array(7).fill([I32])), 0];
  const fn6 = [0x60, ...vec(new Array(6).fill([I32])), 0];
  // A shared memory must declare a maximum: 65536 pages (4 GiB) accepts any memory.
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const names = [
    'sparseSum',
    'sparseSumGrad',
    'sparseMax',
    'sparseMaxGrad',
    'sparseMaxPacked',
    'sparseMaxGradPacked',
  ];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([fn7, fn6])),
    ...section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, ...limits]])),
    ...section(3, vec([[0], [0], [0], [1], [0], [0]])),
    ...section(7, vec(names.map((n, i) => [...utf8(n), 0x00, i]))),
    ...section(
      10,
      vec([
        sparseSumCode(false),
        sparseSumCode(true),
        sparseMaxCode(false),
        sparseMaxGradCode(),
        sparseMaxCode(true),
        sparseMaxGradPackedCode(),
      ]),
    ),
  ]);
}

const modules = new Map<boolean, WebAssembly.Module | null>();
const instances = new WeakMap<WebAssembly.Memory, RoISimdExports>();

/** The compiled module, or null where WebAssembly or its SIMD is missing. */
export function roiSimdModule(shared = false): WebAssembly.Module | null {
  if (!modules.has(shared)) {
    let mod: WebAssembly.Module | null = null;
    try {
      const bytes = roiSimdBytes(shared);
      if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) mod = new WebAssembly.Module(bytes);
    } catch {
      mod = null;
    }
    modules.set(shared, mod);
  }
  return modules.get(shared)!;
}

/** The module instantiated on `memory` (cached per memory), or null where it cannot be. */
export function roiSimdOn(memory: WebAssembly.Memory): RoISimdExports | null {
  const cached = instances.get(memory);
  if (cached) return cached;
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const mod = roiSimdModule(shared);
  if (!mod) return null;
  try {
    const instance = new WebAssembly.Instance(mod, { env: { memory } });
    const exports = instance.exports as unknown as RoISimdExports;
    instances.set(memory, exports);
    return exports;
  } catch {
    return null;
  }
}
