/**
 * A naive reference of torchvision's CPU kernels (csrc/ops/cpu/roi_pool_kernel.cpp, roi_align_kernel.cpp):
 * the same loops, output element by output element, on NHWC Float32Arrays, in float64 except the RoI
 * geometry (float32, as torchvision). Independent of the package's planners and tfjs; the golden fixtures
 * tie both to torchvision itself. Used for randomized comparisons and as `expected_fn` of the tests.
 */
const f32 = Math.fround;
const roundC = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x));
const FLT_MAX = 3.4028234663852886e38;

export interface RefShape {
  N: number;
  H: number;
  W: number;
  C: number;
}

/** roi_pool forward and backward: `out` `[K, ph, pw, C]`, `dx` `[N, H, W, C]` for upstream `dy`. */
export function refRoIPool(
  x: Float32Array,
  s: RefShape,
  rois: number[][],
  ph: number,
  pw: number,
  scale: number,
  dy?: Float32Array,
): { out: Float64Array; dx: Float64Array } {
  const { H, W, C } = s;
  const sc = f32(scale);
  const out = new Float64Array(rois.length * ph * pw * C);
  const dx = new Float64Array(s.N * H * W * C);
  rois.forEach((r, k) => {
    const b = Math.trunc(r[0]!);
    const sw = roundC(f32(f32(r[1]!) * sc));
    const sh = roundC(f32(f32(r[2]!) * sc));
    const ew = roundC(f32(f32(r[3]!) * sc));
    const eh = roundC(f32(f32(r[4]!) * sc));
    const rw = Math.max(ew - sw + 1, 1);
    const rh = Math.max(eh - sh + 1, 1);
    const bh = f32(rh / ph);
    const bw = f32(rw / pw);
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        const hs = Math.min(Math.max(Math.floor(f32(i * bh)) + sh, 0), H);
        const he = Math.min(Math.max(Math.ceil(f32((i + 1) * bh)) + sh, 0), H);
        const ws = Math.min(Math.max(Math.floor(f32(j * bw)) + sw, 0), W);
        const we = Math.min(Math.max(Math.ceil(f32((j + 1) * bw)) + sw, 0), W);
        const empty = he <= hs || we <= ws;
        for (let c = 0; c < C; c++) {
          let max = empty ? 0 : -FLT_MAX;
          let arg = -1;
          for (let y = hs; y < he; y++) {
            for (let xx = ws; xx < we; xx++) {
              const at = ((b * H + y) * W + xx) * C + c;
              if (x[at]! > max) {
                max = x[at]!;
                arg = at;
              }
            }
          }
          const o = ((k * ph + i) * pw + j) * C + c;
          out[o] = max;
          if (dy && arg >= 0) dx[arg]! += dy[o]!;
        }
      }
    }
  });
  return { out, dx };
}

/** roi_align forward and backward, as {@link refRoIPool}. */
export function refRoIAlign(
  x: Float32Array,
  s: RefShape,
  rois: number[][],
  ph: number,
  pw: number,
  scale: number,
  samplingRatio: number,
  aligned: boolean,
  dy?: Float32Array,
): { out: Float64Array; dx: Float64Array } {
  const { H, W, C } = s;
  const sc = f32(scale);
  const out = new Float64Array(rois.length * ph * pw * C);
  const dx = new Float64Array(s.N * H * W * C);
  const off = aligned ? 0.5 : 0;
  rois.forEach((r, k) => {
    const b = Math.trunc(r[0]!);
    const sw = f32(f32(f32(r[1]!) * sc) - off);
    const sh = f32(f32(f32(r[2]!) * sc) - off);
    const ew = f32(f32(f32(r[3]!) * sc) - off);
    const eh = f32(f32(f32(r[4]!) * sc) - off);
    let rw = f32(ew - sw);
    let rh = f32(eh - sh);
    if (!aligned) {
      rw = Math.max(rw, 1);
      rh = Math.max(rh, 1);
    }
    const bh = f32(rh / ph);
    const bw = f32(rw / pw);
    const gh = samplingRatio > 0 ? samplingRatio : Math.ceil(f32(rh / ph));
    const gw = samplingRatio > 0 ? samplingRatio : Math.ceil(f32(rw / pw));
    const count = Math.max(gh * gw, 1);
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        const o = ((k * ph + i) * pw + j) * C;
        for (let iy = 0; iy < gh; iy++) {
          const y0 = f32(f32(sh + f32(i * bh)) + f32(f32(f32(iy + 0.5) * bh) / gh));
          for (let ix = 0; ix < gw; ix++) {
            const x0 = f32(f32(sw + f32(j * bw)) + f32(f32(f32(ix + 0.5) * bw) / gw));
            const taps = bilinear(y0, x0, H, W);
            if (!taps) continue;
            for (const [yy, xx, w] of taps) {
              const at = ((b * H + yy) * W + xx) * C;
              for (let c = 0; c < C; c++) {
                out[o + c]! += (w * x[at + c]!) / count;
                if (dy) dx[at + c]! += (w * dy[o + c]!) / count;
              }
            }
          }
        }
      }
    }
  });
  return { out, dx };
}

/** torchvision's `bilinear_interpolate`: the four taps of a sample, or null beyond one cell outside. */
function bilinear(y: number, x: number, H: number, W: number): Array<[number, number, number]> | null {
  if (y < -1 || y > H || x < -1 || x > W) return null;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  let yl = Math.trunc(y);
  let xl = Math.trunc(x);
  let yh: number;
  let xh: number;
  if (yl >= H - 1) {
    yh = yl = H - 1;
    y = yl;
  } else yh = yl + 1;
  if (xl >= W - 1) {
    xh = xl = W - 1;
    x = xl;
  } else xh = xl + 1;
  const ly = f32(y - yl);
  const lx = f32(x - xl);
  const hy = f32(1 - ly);
  const hx = f32(1 - lx);
  return [
    [yl, xl, hy * hx],
    [yl, xh, hy * lx],
    [yh, xl, ly * hx],
    [yh, xh, ly * lx],
  ];
}

/** A seeded uniform generator in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random RoIs in input coordinates for a map of `H x W` cells at `scale`: inside, partly outside, tiny, whole. */
export function randomRois(
  rand: () => number,
  K: number,
  N: number,
  H: number,
  W: number,
  scale: number,
): number[][] {
  const IH = H / scale;
  const IW = W / scale;
  const out: number[][] = [];
  for (let k = 0; k < K; k++) {
    const b = Math.floor(rand() * N);
    const kind = k % 5;
    let box: number[];
    if (kind === 0) {
      const x1 = rand() * IW * 0.7;
      const y1 = rand() * IH * 0.7;
      box = [x1, y1, x1 + rand() * IW * 0.5 + 1, y1 + rand() * IH * 0.5 + 1];
    } else if (kind === 1) {
      box = [(rand() - 0.6) * IW, (rand() - 0.6) * IH, IW * (0.6 + rand()), IH * (0.6 + rand())];
    } else if (kind === 2) {
      const x1 = rand() * IW;
      const y1 = rand() * IH;
      box = [x1, y1, x1 + (rand() * 0.9) / scale, y1 + (rand() * 0.9) / scale];
    } else if (kind === 3) {
      box = [0, 0, IW, IH];
    } else {
      // degenerate: x2 < x1
      const x1 = rand() * IW;
      const y1 = rand() * IH;
      box = [x1, y1, x1 - (rand() * 3) / scale, y1 + (rand() * 2) / scale];
    }
    out.push([b, ...box.map((v) => f32(v))]);
  }
  return out;
}
