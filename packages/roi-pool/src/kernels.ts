import * as tf from '@tensorflow/tfjs-core';
import { type RoISimdExports, roiSimdModule, roiSimdOn } from './simd-module.js';

/**
 * Kernels that @cv/roi-pool registers (under its own names) for the 'wasm' and 'cpu' backends: the loops of
 * RoI pooling and RoI align in WebAssembly SIMD (see simd-module.ts), run on the backend's own data. The
 * ops look a kernel up in tfjs's registry for the active backend and, where there is none (WebGPU, WebGL,
 * tfjs-node, …), compute the same values with tfjs ops (grouped-row-max.ts, grouped-row-sum.ts).
 *
 * Sparse plans: bin `i` reduces the rows `cell[binStart[i] .. binStart[i+1])` of `x` `[R, C]`.
 * - `CvRoISparseSum` `{x [R, C], binStart int32 [B+1], cell int32 [T], weight float32 [T]}` → `[B, C]`:
 *   `Σ weight·x[cell]`.
 * - `CvRoISparseSumGrad` `{dy [B, C], binStart, cell, weight}`, attrs `{numRows: R}` → `[R, C]`.
 * - `CvRoISparseMax` `{x [R, C], binStart, cell}`, attrs `{packed}` → `[[B, C] float32, argmax]`: the
 *   maximum from −FLT_MAX (0 for an empty bin) and the first cell that holds it, torchvision's argmax: its
 *   row, int32 `[B, C]` (−1 if none), or with `packed` (every bin ≤ 255 cells) its position in the bin's
 *   list, one byte per channel, 255 if none, in int32 `[B, ceil(C / 4)]` (4x less memory to write, save
 *   for the backward pass and read again).
 * - `CvRoISparseMaxGrad` `{dy [B, C], argmax, binStart, cell}` (the plan only when packed), attrs
 *   `{numRows: R, packed}` → `[R, C]`.
 */
export const ROI_KERNELS = {
  sparseSum: 'CvRoISparseSum',
  sparseSumGrad: 'CvRoISparseSumGrad',
  sparseMax: 'CvRoISparseMax',
  sparseMaxGrad: 'CvRoISparseMaxGrad',
} as const;

/** The backends the kernels are registered for. */
export const ROI_KERNEL_BACKENDS = ['wasm', 'cpu'] as const;

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

interface OutputSpec {
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Zeroed before the computation (the gradients accumulate). */
  zero?: boolean;
}

type Compute = (k: RoISimdExports, inputs: number[], outputs: number[]) => void;

/** What the kernels use of tfjs-backend-wasm's `BackendWasm` (public members of its class). */
interface WasmHeapBackend {
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: unknown }; wasmExports?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);
const typed = (dtype: string) => (dtype === 'int32' ? Int32Array : Float32Array);

/** The WebAssembly memory that holds a WASM backend's tensors, or null (another backend, another build). */
function heapMemory(backend: tf.KernelBackend): WebAssembly.Memory | null {
  const b = backend as unknown as Partial<WasmHeapBackend>;
  const memory = b.wasm?.asm?.memory ?? b.wasm?.wasmExports?.memory;
  if (
    typeof WebAssembly !== 'object' ||
    !(memory instanceof WebAssembly.Memory) ||
    memory.buffer !== b.wasm?.HEAPU8?.buffer ||
    typeof b.makeOutput !== 'function' ||
    typeof b.dataIdMap?.get !== 'function'
  ) {
    return null;
  }
  return memory;
}

/** On the WASM backend's heap: inputs where they are, outputs allocated by the backend. No copies. */
function runOnHeap(
  backend: WasmHeapBackend,
  memory: WebAssembly.Memory,
  k: RoISimdExports,
  inputs: tf.TensorInfo[],
  outputs: OutputSpec[],
  compute: Compute,
): tf.TensorInfo[] {
  const outs = outputs.map((o) => backend.makeOutput(o.shape, o.dtype));
  const ptr = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  const outPtrs = outs.map(ptr);
  // Views only after every allocation (an allocation may grow the memory and detach older views).
  outputs.forEach((o, i) => {
    if (o.zero) new Float32Array(memory.buffer, outPtrs[i], size(o.shape)).fill(0);
  });
  compute(k, inputs.map(ptr), outPtrs);
  return outs;
}

/** This package's own memory, for backends whose data is not in a WebAssembly memory (grown as needed). */
let arena: WebAssembly.Memory | null = null;
/** The largest arena kept between calls (bytes). */
const ARENA_KEEP = 64 * 2 ** 20;

/** Inputs copied (`readSync`) into this package's memory, outputs copied out (`write`). */
function runCopied(
  backend: tf.KernelBackend,
  kernel: string,
  inputs: tf.TensorInfo[],
  outputs: OutputSpec[],
  compute: Compute,
): tf.TensorInfo[] {
  let bytes = 0;
  const place = (n: number) => {
    const at = bytes;
    bytes += Math.ceil((n * 4) / 16) * 16;
    return at;
  };
  const inPtrs = inputs.map((t) => place(size(t.shape)));
  const outPtrs = outputs.map((o) => place(size(o.shape)));
  const PAGE = 65536;
  if (bytes > 2 ** 32 - PAGE) {
    throw new Error(
      `${kernel}: ${bytes} bytes of inputs and outputs exceed the 4 GiB of a WebAssembly memory`,
    );
  }
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  if (!arena) arena = new WebAssembly.Memory({ initial: pages });
  else if (arena.buffer.byteLength < pages * PAGE) arena.grow(pages - arena.buffer.byteLength / PAGE);
  const memory = arena;
  const k = roiSimdOn(memory);
  if (!k) throw new Error(`${kernel}: WebAssembly SIMD is not available`);
  inputs.forEach((t, i) => {
    const Ctor = typed(t.dtype);
    new Ctor(memory.buffer, inPtrs[i], size(t.shape)).set(backend.readSync(t.dataId) as ArrayLike<number>);
  });
  outputs.forEach((o, i) => {
    if (o.zero) new Float32Array(memory.buffer, outPtrs[i], size(o.shape)).fill(0);
  });
  compute(k, inPtrs, outPtrs);
  const out = outputs.map((o, i) => {
    const Ctor = typed(o.dtype);
    const values = new Ctor(memory.buffer.slice(outPtrs[i]!, outPtrs[i]! + size(o.shape) * 4));
    return { dataId: backend.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
  });
  // A memory cannot shrink: one that grew past ARENA_KEEP is left to the garbage collector.
  if (memory.buffer.byteLength > ARENA_KEEP) arena = null;
  return out;
}

function run(
  backend: tf.KernelBackend,
  kernel: string,
  inputs: tf.TensorInfo[],
  outputs: OutputSpec[],
  compute: Compute,
): tf.TensorInfo[] {
  const memory = heapMemory(backend);
  const k = memory && roiSimdOn(memory);
  if (memory && k) {
    return runOnHeap(backend as unknown as WasmHeapBackend, memory, k, inputs, outputs, compute);
  }
  return runCopied(backend, kernel, inputs, outputs, compute);
}

function input(kernel: string, inputs: tf.NamedTensorInfoMap, name: string, rank: number, dtype: string) {
  const t = inputs[name];
  if (!t || t.shape.length !== rank || t.dtype !== dtype) {
    throw new Error(
      `${kernel}: input '${name}' must be a rank-${rank} ${dtype} tensor, got ${
        t ? `${t.dtype} [${t.shape}]` : 'none'
      }`,
    );
  }
  return t;
}

function numRows(kernel: string, attrs: tf.NamedAttrMap | undefined): number {
  const R = attrs?.numRows;
  if (typeof R !== 'number' || !Number.isInteger(R) || R < 0) {
    throw new Error(`${kernel}: attr numRows must be an integer ≥ 0, got ${String(R)}`);
  }
  return R;
}

/** The most cells a bin may have for a packed (one byte) argmax. */
export const PACKED_MAX_CELLS = 255;

/**
 * Checks a sparse plan on the backend (`binStart` from 0, non-decreasing, ending at T; every cell in
 * `[0, R)`; with `packed`, at most 255 cells a bin): the WebAssembly loops trust it. Returns the number of
 * bins.
 */
function checkPlan(
  kernel: string,
  backend: tf.KernelBackend,
  binStart: tf.TensorInfo,
  cell: tf.TensorInfo,
  R: number,
  weight?: tf.TensorInfo,
  packed = false,
): number {
  const T = cell.shape[0]!;
  if (weight && weight.shape[0] !== T) {
    throw new Error(`${kernel}: weight [${weight.shape}] must have the length of cell [${cell.shape}]`);
  }
  const starts = backend.readSync(binStart.dataId) as Int32Array;
  const B = starts.length - 1;
  let ok = B >= 0 && starts[0] === 0 && starts[B] === T;
  let largest = 0;
  for (let i = 0; ok && i < B; i++) {
    ok = starts[i]! <= starts[i + 1]!;
    largest = Math.max(largest, starts[i + 1]! - starts[i]!);
  }
  if (!ok) {
    throw new Error(`${kernel}: binStart [${binStart.shape}] must rise from 0 to the ${T} cells`);
  }
  if (packed && largest > PACKED_MAX_CELLS) {
    throw new Error(
      `${kernel}: a packed argmax allows ${PACKED_MAX_CELLS} cells a bin, a bin has ${largest}`,
    );
  }
  const cells = backend.readSync(cell.dataId) as Int32Array;
  for (let t = 0; t < T; t++) {
    const c = cells[t]!;
    if (!(c >= 0 && c < R)) throw new Error(`${kernel}: cell[${t}] = ${c} is outside [0, ${R})`);
  }
  return B;
}

/** `CvRoISparseSum`. */
export function sparseSumKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const kernel = ROI_KERNELS.sparseSum;
  const x = input(kernel, inputs, 'x', 2, 'float32');
  const binStart = input(kernel, inputs, 'binStart', 1, 'int32');
  const cell = input(kernel, inputs, 'cell', 1, 'int32');
  const weight = input(kernel, inputs, 'weight', 1, 'float32');
  const [R, C] = x.shape as [number, number];
  const B = checkPlan(kernel, backend, binStart, cell, R, weight);
  return run(backend, kernel, [x, binStart, cell, weight], [{ shape: [B, C], dtype: 'float32' }], (k, i, o) =>
    k.sparseSum(i[0]!, C, i[1]!, i[2]!, i[3]!, B, o[0]!),
  )[0]!;
}

/** `CvRoISparseSumGrad`. */
export function sparseSumGradKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const kernel = ROI_KERNELS.sparseSumGrad;
  const dy = input(kernel, inputs, 'dy', 2, 'float32');
  const binStart = input(kernel, inputs, 'binStart', 1, 'int32');
  const cell = input(kernel, inputs, 'cell', 1, 'int32');
  const weight = input(kernel, inputs, 'weight', 1, 'float32');
  const R = numRows(kernel, attrs);
  const [B, C] = dy.shape as [number, number];
  if (checkPlan(kernel, backend, binStart, cell, R, weight) !== B) {
    throw new Error(`${kernel}: dy [${dy.shape}] must have one row per bin (binStart [${binStart.shape}])`);
  }
  return run(
    backend,
    kernel,
    [dy, binStart, cell, weight],
    [{ shape: [R, C], dtype: 'float32', zero: true }],
    (k, i, o) => k.sparseSumGrad(i[0]!, C, i[1]!, i[2]!, i[3]!, B, o[0]!),
  )[0]!;
}

/** Columns of a packed argmax: one byte per channel in int32 elements. */
export const packedColumns = (C: number) => Math.ceil(C / 4);

/** `CvRoISparseMax`. */
export function sparseMaxKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const kernel = ROI_KERNELS.sparseMax;
  const x = input(kernel, inputs, 'x', 2, 'float32');
  const binStart = input(kernel, inputs, 'binStart', 1, 'int32');
  const cell = input(kernel, inputs, 'cell', 1, 'int32');
  const packed = attrs?.packed === true;
  const [R, C] = x.shape as [number, number];
  const B = checkPlan(kernel, backend, binStart, cell, R, undefined, packed);
  return run(
    backend,
    kernel,
    [x, binStart, cell],
    [
      { shape: [B, C], dtype: 'float32' },
      { shape: [B, packed ? packedColumns(C) : C], dtype: 'int32' },
    ],
    (k, i, o) => (packed ? k.sparseMaxPacked : k.sparseMax)(i[0]!, C, i[1]!, i[2]!, B, o[0]!, o[1]!),
  );
}

/** `CvRoISparseMaxGrad`. */
export function sparseMaxGradKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const kernel = ROI_KERNELS.sparseMaxGrad;
  const dy = input(kernel, inputs, 'dy', 2, 'float32');
  const argmax = input(kernel, inputs, 'argmax', 2, 'int32');
  const R = numRows(kernel, attrs);
  const packed = attrs?.packed === true;
  const [B, C] = dy.shape as [number, number];
  const columns = packed ? packedColumns(C) : C;
  if (argmax.shape[0] !== B || argmax.shape[1] !== columns) {
    throw new Error(
      `${kernel}: argmax [${argmax.shape}] must be [${B}, ${columns}] for dy [${dy.shape}]${packed ? ' (packed)' : ''}`,
    );
  }
  const out: OutputSpec[] = [{ shape: [R, C], dtype: 'float32', zero: true }];
  if (!packed) {
    // The loop itself skips any argmax outside [0, R).
    return run(backend, kernel, [dy, argmax], out, (k, i, o) =>
      k.sparseMaxGrad(i[0]!, i[1]!, C, B, o[0]!, R),
    )[0]!;
  }
  // The loop skips any position outside its bin's list.
  const binStart = input(kernel, inputs, 'binStart', 1, 'int32');
  const cell = input(kernel, inputs, 'cell', 1, 'int32');
  if (checkPlan(kernel, backend, binStart, cell, R) !== B) {
    throw new Error(`${kernel}: dy [${dy.shape}] must have one row per bin (binStart [${binStart.shape}])`);
  }
  return run(backend, kernel, [dy, argmax, binStart, cell], out, (k, i, o) =>
    k.sparseMaxGradPacked(i[0]!, i[1]!, C, B, o[0]!, i[2]!, i[3]!),
  )[0]!;
}

const KERNEL_FUNCS: [string, tf.KernelFunc][] = [
  [ROI_KERNELS.sparseSum, sparseSumKernel as unknown as tf.KernelFunc],
  [ROI_KERNELS.sparseSumGrad, sparseSumGradKernel as unknown as tf.KernelFunc],
  [ROI_KERNELS.sparseMax, sparseMaxKernel as unknown as tf.KernelFunc],
  [ROI_KERNELS.sparseMaxGrad, sparseMaxGradKernel as unknown as tf.KernelFunc],
];

let registered = false;
let enabled = true;

/**
 * Registers the kernels for 'wasm' and 'cpu' (once; a kernel registered before, e.g. by another copy of
 * this package, is left as it is). Nothing is registered where WebAssembly SIMD is missing: the ops then
 * use their tfjs-ops path.
 */
export function registerRoIKernels(): void {
  if (registered) return;
  registered = true;
  if (!roiSimdModule()) return;
  for (const backendName of ROI_KERNEL_BACKENDS) {
    for (const [kernelName, kernelFunc] of KERNEL_FUNCS) {
      if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
}

/**
 * Whether the ops use the registered kernels (default `true`); `false` makes them use tfjs ops on every
 * backend (the path of backends without the kernels). For tests and comparisons.
 */
export function useRoIKernels(on: boolean): void {
  enabled = on;
}

/** True when every kernel in `names` is registered for the active backend (and the kernels are enabled). */
export function hasRoIKernels(...names: string[]): boolean {
  if (!enabled) return false;
  registerRoIKernels();
  const backend = tf.getBackend();
  return names.every((n) => tf.getKernel(n, backend) !== undefined);
}
