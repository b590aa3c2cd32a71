/**
 * The tiling plan of @cv/core's WebGPU filter gradient (`Conv2DBackpropFilter`), in plain numbers so that it
 * is tested on machines without a GPU.
 *
 * The filter gradient is a GEMM with a short, wide output and a very long reduction:
 *   dW[m, n] = Σ_k A[m, k] · B[k, n],   m = (kh, kw, ci),  n = co,  k = (b, oh, ow)
 *   A[m, k] = xpad[b, oh·s_h + kh, ow·s_w + kw, ci]   (implicit im2col: gathered, never stored)
 *   B[k, n] = dy[b, oh, ow, co]                        (dy as it is, `[B·OH·OW, Co]`)
 * e.g. 3x3, 32→32 channels at batch 32, 128x128: M = 288, N = 32, K = 524,288. One workgroup per output
 * element (tfjs-backend-webgpu 4.22's program) leaves the GPU nearly idle, so the plan splits K into
 * `splits` chunks ("split-K"): workgroup (tile n, tile m, split s) computes a `tileM x tileN` block of the
 * partial sum over its chunk, and a second pass adds the `splits` partials.
 */

/** Geometry of a 2-D convolution, NHWC, as tfjs-core's `Conv2DInfo` gives it. */
export interface ConvGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padInfo: { top: number; left: number };
}

export interface FilterGradPlan {
  /** GEMM sizes: `M = KH·KW·Ci` rows, `N = Co` columns, `K = B·OH·OW` reduction. */
  M: number;
  N: number;
  K: number;
  /** Output block of one workgroup (multiples of the 4x4 block of one thread). */
  tileM: number;
  tileN: number;
  /** Reduction rows staged in workgroup memory per step. */
  tileK: number;
  /** Number of K chunks, and the length of each (a multiple of `tileK`; the last may be shorter). */
  splits: number;
  chunk: number;
  /** `[tileN / 4, tileM / 4, 1]`. */
  workgroupSize: [number, number, number];
  /** `[⌈N / tileN⌉, ⌈M / tileM⌉, splits]`. */
  dispatch: [number, number, number];
  /** Multiply-adds actually issued (padding of the tiles included) over the exact `M·N·K`. */
  overhead: number;
}

export interface PlanOptions {
  /** Workgroups to aim for (enough to fill a large GPU several times). Default 1024. */
  targetWorkgroups?: number;
  /** Largest number of floats in the partial-sum buffer. Default 2^26 (256 MiB). */
  maxPartialElements?: number;
  /** Fewest reduction rows per split (so a workgroup does more than stage tiles). Default 256. */
  minChunk?: number;
  /** Largest workgroup count along one dispatch dimension (WebGPU's default limit). Default 65535. */
  maxWorkgroupsPerDimension?: number;
}

const GEOMETRY_FIELDS = [
  'batchSize',
  'inHeight',
  'inWidth',
  'inChannels',
  'outHeight',
  'outWidth',
  'outChannels',
  'filterHeight',
  'filterWidth',
  'strideHeight',
  'strideWidth',
  'dilationHeight',
  'dilationWidth',
] as const;
const TILE_CHOICES = [64, 32, 16] as const;
export const TILE_K = 16;
const I32_MAX = 2 ** 31 - 1;

/**
 * The largest tile (from 64, 32, 16) that pads `size` by at most 1/8 more than the tightest tile does: larger
 * tiles reuse each staged value more, small ones waste less on the edge.
 */
export function chooseTile(size: number): number {
  const padded = (t: number) => Math.ceil(size / t) * t;
  const tightest = Math.min(...TILE_CHOICES.map(padded));
  return TILE_CHOICES.find((t) => padded(t) <= tightest * 1.125) ?? 16;
}

/**
 * Plans the split-K filter-gradient GEMM for one convolution. Throws (naming the function and the bad value)
 * on a geometry the WGSL program cannot index with 32-bit integers, or with dilation (tfjs's conv2d gradient
 * has none).
 */
export function planConv2dBackpropFilter(g: ConvGeometry, options: PlanOptions = {}): FilterGradPlan {
  const where = 'planConv2dBackpropFilter';
  const target = options.targetWorkgroups ?? 1024;
  const maxPartial = options.maxPartialElements ?? 2 ** 26;
  const maxDim = options.maxWorkgroupsPerDimension ?? 65535;
  const minChunk = options.minChunk ?? 256;
  for (const k of GEOMETRY_FIELDS) {
    const v = g[k];
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`${where}: geometry.${k} must be a positive integer, got ${String(v)}`);
    }
  }
  if (g.dilationHeight !== 1 || g.dilationWidth !== 1) {
    throw new Error(
      `${where}: dilations must be 1 (tfjs's Conv2DBackpropFilter has none), got [${g.dilationHeight}, ${g.dilationWidth}]`,
    );
  }
  const M = g.filterHeight * g.filterWidth * g.inChannels;
  const N = g.outChannels;
  const K = g.batchSize * g.outHeight * g.outWidth;
  const xSize = g.batchSize * g.inHeight * g.inWidth * g.inChannels;
  for (const [name, v] of [
    ['x size', xSize],
    ['dy size', K * N],
    ['K (B·OH·OW)', K],
    ['dW size', M * N],
  ] as const) {
    if (v > I32_MAX) throw new Error(`${where}: ${name} ${v} exceeds 2^31 − 1 (32-bit WGSL indices)`);
  }
  const tileM = chooseTile(M);
  const tileN = chooseTile(N);
  const tilesMN = Math.ceil(M / tileM) * Math.ceil(N / tileN);
  const steps = Math.ceil(K / TILE_K);
  let splits = Math.max(1, Math.min(steps, Math.ceil(target / tilesMN), Math.ceil(K / minChunk), maxDim));
  // The partial sums must fit the buffer cap (and one split needs no partial buffer at all).
  if (splits > 1) splits = Math.max(1, Math.min(splits, Math.floor(maxPartial / (M * N))));
  const chunk = Math.ceil(steps / splits) * TILE_K;
  splits = Math.ceil(K / chunk);
  const dispatch: [number, number, number] = [Math.ceil(N / tileN), Math.ceil(M / tileM), splits];
  if (dispatch[0] > maxDim || dispatch[1] > maxDim) {
    throw new Error(`${where}: dispatch [${dispatch}] exceeds ${maxDim} workgroups in one dimension`);
  }
  const issued = dispatch[0] * tileN * dispatch[1] * tileM * splits * chunk;
  return {
    M,
    N,
    K,
    tileM,
    tileN,
    tileK: TILE_K,
    splits,
    chunk,
    workgroupSize: [tileN / 4, tileM / 4, 1],
    dispatch,
    overhead: issued / (M * N * K),
  };
}

/**
 * The plan executed in plain JavaScript, block by block and chunk by chunk, with the same index arithmetic as
 * the WGSL program (`A` gathered from `x` with zero padding, `B` read from `dy`, partial sums per split then
 * added in split order). For tests on machines without a GPU: it must equal a direct sum.
 */
export function emulateFilterGradPlan(
  g: ConvGeometry,
  plan: FilterGradPlan,
  x: Float32Array,
  dy: Float32Array,
): Float32Array {
  const { M, N, K, tileM, tileN, tileK, chunk, splits } = plan;
  const partial = new Float32Array(splits * M * N);
  const kwci = g.filterWidth * g.inChannels;
  for (let s = 0; s < splits; s++) {
    const kBegin = s * chunk;
    const kEnd = Math.min(K, kBegin + chunk);
    for (let tm = 0; tm < plan.dispatch[1]; tm++) {
      for (let tn = 0; tn < plan.dispatch[0]; tn++) {
        const acc = new Float32Array(tileM * tileN);
        for (let k0 = kBegin; k0 < kEnd; k0 += tileK) {
          // Stage the A and B tiles as the workgroup does (zeros outside the matrices and the image).
          const As = new Float32Array(tileK * tileM);
          const Bs = new Float32Array(tileK * tileN);
          for (let kk = 0; kk < tileK; kk++) {
            const k = k0 + kk;
            if (k >= kEnd) continue;
            const ow = k % g.outWidth;
            const t = (k - ow) / g.outWidth;
            const oh = t % g.outHeight;
            const b = (t - oh) / g.outHeight;
            for (let mm = 0; mm < tileM; mm++) {
              const m = tm * tileM + mm;
              if (m >= M) continue;
              const kh = Math.floor(m / kwci);
              const kw = Math.floor((m % kwci) / g.inChannels);
              const ci = m % g.inChannels;
              const ih = oh * g.strideHeight + kh - g.padInfo.top;
              const iw = ow * g.strideWidth + kw - g.padInfo.left;
              if (ih < 0 || ih >= g.inHeight || iw < 0 || iw >= g.inWidth) continue;
              As[kk * tileM + mm] = x[((b * g.inHeight + ih) * g.inWidth + iw) * g.inChannels + ci]!;
            }
            for (let nn = 0; nn < tileN; nn++) {
              const n = tn * tileN + nn;
              if (n < N) Bs[kk * tileN + nn] = dy[k * N + n]!;
            }
          }
          for (let kk = 0; kk < tileK; kk++) {
            for (let mm = 0; mm < tileM; mm++) {
              const a = As[kk * tileM + mm]!;
              for (let nn = 0; nn < tileN; nn++) acc[mm * tileN + nn]! += a * Bs[kk * tileN + nn]!;
            }
          }
        }
        for (let mm = 0; mm < tileM; mm++) {
          const m = tm * tileM + mm;
          if (m >= M) continue;
          for (let nn = 0; nn < tileN; nn++) {
            const n = tn * tileN + nn;
            if (n < N) partial[(s * M + m) * N + n] = acc[mm * tileN + nn]!;
          }
        }
      }
    }
  }
  const out = new Float32Array(M * N);
  for (let i = 0; i < M * N; i++) {
    let sum = 0;
    for (let s = 0; s < splits; s++) sum += partial[s * M * N + i]!;
    out[i] = sum;
  }
  return out;
}
