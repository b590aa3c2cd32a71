import * as tf from '@tensorflow/tfjs-core';
import { ColumnSumProgram } from './column-sum.js';
import { type ConvGeometry, type FilterGradPlan, planConv2dBackpropFilter } from './plan.js';
import type { WebgpuBackendLike, WebgpuKernelArgs, WebgpuProgram } from './program.js';

/**
 * Split-K implicit GEMM for the filter gradient (see `plan.ts`): workgroup `(tn, tm, s)` stages `16 x tileM`
 * values of the im2col matrix `A` (gathered from `x` with zero padding) and `16 x tileN` of `dy` in workgroup
 * memory per step, each thread accumulates a 4x4 block in registers, and the block is written to
 * `partial[s, m, n]` (`[splits, M, N]`), or straight to `dW` when there is one split.
 */
export class FilterGradGemmProgram implements WebgpuProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms =
    'M : i32, N : i32, K : i32, chunk : i32, steps : i32, inHeight : i32, inWidth : i32, inChannels : i32, outHeight : i32, outWidth : i32, filterWidth : i32, strideH : i32, strideW : i32, padTop : i32, padLeft : i32,';
  readonly outputShape: number[];
  shaderKey: string;
  readonly dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];

  constructor(
    readonly plan: FilterGradPlan,
    outputShape: number[],
  ) {
    this.outputShape = outputShape;
    this.dispatch = [...plan.dispatch];
    this.workgroupSize = [...plan.workgroupSize];
    this.shaderKey = `cvFilterGradGemm_${plan.tileM}_${plan.tileN}_${plan.tileK}`;
  }

  getUserCode(): string {
    const { tileM: TM, tileN: TN, tileK: TK } = this.plan;
    const WGX = TN / 4;
    const WG = (TN / 4) * (TM / 4);
    // Rows of the A and B tiles that one thread stages per step (a workgroup stages TK rows of each).
    const aRowStep = WG / TM;
    const bRowStep = WG / TN;
    return `
      var<workgroup> tileA : array<vec4<f32>, ${(TK * TM) / 4}>;
      var<workgroup> tileB : array<vec4<f32>, ${(TK * TN) / 4}>;

      fn main() {
        let tid = i32(localIndex);
        let tx = tid % ${WGX};
        let ty = tid / ${WGX};
        let m0 = i32(workgroupId.y) * ${TM};
        let n0 = i32(workgroupId.x) * ${TN};
        let split = i32(workgroupId.z);
        let kBegin = split * uniforms.chunk;
        let kEnd = min(uniforms.K, kBegin + uniforms.chunk);

        // The A column (filter tap kh, kw and input channel ci) this thread stages, fixed for the whole loop.
        let am = tid % ${TM};
        let m = m0 + am;
        let mOk = m < uniforms.M;
        let kwci = uniforms.filterWidth * uniforms.inChannels;
        let kh = m / kwci;
        let kw = (m - kh * kwci) / uniforms.inChannels;
        let ci = m - kh * kwci - kw * uniforms.inChannels;
        // The B column (output channel) this thread stages.
        let bn = tid % ${TN};
        let n = n0 + bn;
        let nOk = n < uniforms.N;

        var acc : array<vec4<f32>, 4>;
        for (var i = 0; i < 4; i++) { acc[i] = vec4<f32>(0.0); }

        // uniforms.steps (not kEnd) bounds the loop: barriers need workgroup-uniform control flow.
        for (var step = 0; step < uniforms.steps; step++) {
          let k0 = kBegin + step * ${TK};
          for (var kk = tid / ${TM}; kk < ${TK}; kk += ${aRowStep}) {
            let k = k0 + kk;
            var v = 0.0;
            if (mOk && k < kEnd) {
              let ow = k % uniforms.outWidth;
              let t = k / uniforms.outWidth;
              let oh = t % uniforms.outHeight;
              let b = t / uniforms.outHeight;
              let ih = oh * uniforms.strideH + kh - uniforms.padTop;
              let iw = ow * uniforms.strideW + kw - uniforms.padLeft;
              if (ih >= 0 && ih < uniforms.inHeight && iw >= 0 && iw < uniforms.inWidth) {
                v = x[((b * uniforms.inHeight + ih) * uniforms.inWidth + iw) * uniforms.inChannels + ci];
              }
            }
            let ai = kk * ${TM} + am;
            tileA[ai / 4][ai % 4] = v;
          }
          for (var kk = tid / ${TN}; kk < ${TK}; kk += ${bRowStep}) {
            let k = k0 + kk;
            var v = 0.0;
            if (nOk && k < kEnd) {
              v = dy[k * uniforms.N + n];
            }
            let bi = kk * ${TN} + bn;
            tileB[bi / 4][bi % 4] = v;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${TK}; kk++) {
            let a = tileA[kk * ${TM / 4} + ty];
            let bv = tileB[kk * ${TN / 4} + tx];
            acc[0] = fma(vec4<f32>(a.x), bv, acc[0]);
            acc[1] = fma(vec4<f32>(a.y), bv, acc[1]);
            acc[2] = fma(vec4<f32>(a.z), bv, acc[2]);
            acc[3] = fma(vec4<f32>(a.w), bv, acc[3]);
          }
          workgroupBarrier();
        }

        for (var i = 0; i < 4; i++) {
          let row = m0 + ty * 4 + i;
          if (row < uniforms.M) {
            for (var j = 0; j < 4; j++) {
              let col = n0 + tx * 4 + j;
              if (col < uniforms.N) {
                result[(split * uniforms.M + row) * uniforms.N + col] = acc[i][j];
              }
            }
          }
        }
      }
    `;
  }
}

/** The uniforms of {@link FilterGradGemmProgram}, in declaration order. */
export function filterGradUniforms(g: ConvGeometry, plan: FilterGradPlan) {
  return [
    plan.M,
    plan.N,
    plan.K,
    plan.chunk,
    plan.chunk / plan.tileK,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.padInfo.top,
    g.padInfo.left,
  ].map((v) => ({ type: 'int32' as const, data: [v] }));
}

/**
 * Runs the filter gradient on `backend`: `x [B, H, W, Ci]`, `dy [B, OH, OW, Co]` → `dW [KH, KW, Ci, Co]`.
 * Returns undefined where the plan does not apply (NCHW, empty tensors, int32 overflow): the caller then uses
 * tfjs-backend-webgpu's own kernel.
 */
export function runFilterGradient(
  backend: WebgpuBackendLike,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo | undefined {
  if (info.dataFormat !== 'channelsLast') return undefined;
  if ([...x.shape, ...dy.shape].some((d) => d === 0)) return undefined;
  let plan: FilterGradPlan;
  try {
    plan = planConv2dBackpropFilter(info);
  } catch {
    return undefined;
  }
  const filterShape = info.filterShape;
  const uniforms = filterGradUniforms(info, plan);
  if (plan.splits === 1) {
    return backend.runWebGPUProgram(
      new FilterGradGemmProgram(plan, filterShape),
      [x, dy],
      'float32',
      uniforms,
    );
  }
  const partial = backend.runWebGPUProgram(
    new FilterGradGemmProgram(plan, [plan.splits, plan.M, plan.N]),
    [x, dy],
    'float32',
    uniforms,
  );
  try {
    // The splits' partial products summed in order: a one-pass column sum of [splits, M·N].
    return backend.runWebGPUProgram(new ColumnSumProgram(filterShape), [partial], 'float32', [
      { type: 'int32', data: [plan.splits] },
      { type: 'int32', data: [plan.M * plan.N] },
      { type: 'int32', data: [1] },
      { type: 'float32', data: [1] },
    ]);
  } finally {
    backend.disposeData(partial.dataId);
  }
}

/**
 * `Conv2DBackpropFilter` for the 'webgpu' backend: the split-K implicit GEMM of `plan.ts`, in place of
 * tfjs-backend-webgpu 4.22's one-thread-per-weight loop. Inputs `{x, dy}`, attrs as tfjs-core's
 * `conv2DBackpropFilter` sends them (`strides, pad, dataFormat, dimRoundingMode, filterShape`). Falls back to
 * `original` (the backend's own kernel) for NCHW and shapes the plan rejects.
 */
export function makeConv2dBackpropFilterWebgpu(original: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs = {} } = args as unknown as WebgpuKernelArgs;
    const x = inputs.x as tf.TensorInfo;
    const dy = inputs.dy as tf.TensorInfo;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const out = runFilterGradient(backend, x, dy, info);
    if (out) return out;
    if (!original) {
      throw new Error(
        `Conv2DBackpropFilter (webgpu, @cv/core): unsupported geometry x [${x.shape}], dy [${dy.shape}], filter [${filterShape}] and no original kernel to fall back to`,
      );
    }
    return original(args);
  };
}
