import * as tf from '@tensorflow/tfjs-core';
import type { WebgpuBackendLike, WebgpuKernelArgs, WebgpuProgram } from './program.js';

/**
 * Sums over the leading rows of `x` viewed as `[rows, cols]`, in `groups` interleaved partial sums:
 * `out[p, c] = scale · Σ_{r ≡ p (mod groups)} x[r, c]`. Thread `(p, c)` reads rows `p, p + groups, …`, so at each
 * step the threads of a dispatch read one contiguous block of `groups · cols` values (coalesced for any `cols`,
 * 16 channels included), and `groups · cols` threads keep the whole GPU busy where tfjs-backend-webgpu 4.22 runs
 * one workgroup per output channel after a transpose. With `groups` 1 it also adds the split-K partial products
 * of the filter gradient (`conv2d-backprop-filter.ts`).
 */
export class ColumnSumProgram implements WebgpuProgram {
  readonly variableNames = ['x'];
  readonly uniforms = 'rows : i32, cols : i32, groups : i32, scale : f32,';
  readonly outputShape: number[];
  readonly shaderKey = 'cvColumnSum';
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;

  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(outputShape) / 64), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % uniforms.cols;
          let p = index / uniforms.cols;
          var sum = 0.0;
          for (var r = p; r < uniforms.rows; r = r + uniforms.groups) {
            sum = sum + x[r * uniforms.cols + c];
          }
          setOutputAtIndex(index, sum * uniforms.scale);
        }
      }
    `;
  }
}

/** About this many threads per pass (an H100 holds ~270k resident; a pass this size fills it). */
const THREADS = 1 << 16;
/** Each thread sums at least this many rows per pass (fewer passes for small inputs). */
const MIN_ROWS_PER_THREAD = 16;

/** The pass sizes (`groups` of each pass, the last one 1) for `rows` x `cols`. Exported for tests. */
export function columnSumPasses(rows: number, cols: number): number[] {
  const passes: number[] = [];
  let r = rows;
  for (;;) {
    const groups = Math.max(1, Math.min(Math.floor(THREADS / cols), Math.floor(r / MIN_ROWS_PER_THREAD)));
    passes.push(groups);
    if (groups === 1) return passes;
    r = groups;
  }
}

/**
 * `scale · Σ` over the leading `axes` of float32 `x` (the reduction BatchNorm statistics and bias gradients
 * make on NHWC tensors: axes [0, 1, 2]), as `outShape`; undefined where the axes are not a leading block of
 * fewer than all dimensions, or `x` is not float32.
 */
export function runLeadingSum(
  backend: WebgpuBackendLike,
  x: tf.TensorInfo,
  axes: number[],
  outShape: number[],
  mean: boolean,
): tf.TensorInfo | undefined {
  const rank = x.shape.length;
  const sorted = [...axes].sort((a, b) => a - b);
  if (x.dtype !== 'float32' || sorted.length === 0 || sorted.length >= rank) return undefined;
  if (!sorted.every((a, i) => a === i)) return undefined;
  const rows = tf.util.sizeFromShape(x.shape.slice(0, sorted.length));
  const cols = tf.util.sizeFromShape(x.shape.slice(sorted.length));
  if (rows === 0 || cols === 0) return undefined;
  const passes = columnSumPasses(rows, cols);
  let input = x;
  let r = rows;
  try {
    for (let i = 0; i < passes.length; i++) {
      const groups = passes[i]!;
      const last = i === passes.length - 1;
      const out = backend.runWebGPUProgram(
        new ColumnSumProgram(last ? outShape : [groups, cols]),
        [input],
        'float32',
        [
          { type: 'int32', data: [r] },
          { type: 'int32', data: [cols] },
          { type: 'int32', data: [groups] },
          { type: 'float32', data: [last && mean ? 1 / rows : 1] },
        ],
      );
      if (input !== x) backend.disposeData(input.dataId);
      input = out;
      r = groups;
    }
    return input;
  } catch (err) {
    if (input !== x) backend.disposeData(input.dataId);
    throw err;
  }
}

/**
 * `Sum` (or `Mean`) for the 'webgpu' backend: over a leading block of axes, the interleaved column sums of
 * {@link ColumnSumProgram}; anything else goes to `original`, tfjs-backend-webgpu's own kernel.
 */
export function makeLeadingReduceWebgpu(kind: 'Sum' | 'Mean') {
  return (original: tf.KernelFunc | undefined): tf.KernelFunc =>
    (args) => {
      const { inputs, backend, attrs = {} } = args as unknown as WebgpuKernelArgs;
      const x = inputs.x as tf.TensorInfo;
      const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const reduced = new Set(axes);
      const outShape = keepDims
        ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d))
        : x.shape.filter((_, i) => !reduced.has(i));
      const out = runLeadingSum(backend, x, axes, outShape, kind === 'Mean');
      if (out) return out;
      if (!original) {
        throw new Error(
          `${kind} (webgpu, @cv/core): axes [${axes}] of [${x.shape}] ${x.dtype} are not a leading block and there is no original kernel to fall back to`,
        );
      }
      return original(args);
    };
}
