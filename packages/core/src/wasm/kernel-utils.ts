import * as tf from '@tensorflow/tfjs-core';

/** The arguments tfjs-core passes to a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

function wasmKernel(name: string): tf.KernelFunc {
  const config = tf.getKernel(name, 'wasm');
  if (!config) {
    throw new Error(
      `@cv/core wasm training kernels: the 'wasm' backend has no '${name}' kernel (is @tensorflow/tfjs-backend-wasm 4.x loaded?)`,
    );
  }
  return config.kernelFunc;
}

/**
 * The WASM backend's own kernels, called directly on `backend` (no engine, no tapes, no CPU round trip).
 * Note: the WASM `Slice` copies its whole input first (readSync), so the kernels slice only small tensors and
 * shift with zero pads (`PadV2`, memcpy speed) instead.
 * Every result is a new TensorInfo owned by the caller: free it with {@link WasmOps.dispose} (Reshape results
 * share the input's data and count as a reference, so they are freed the same way).
 */
export class WasmOps {
  constructor(readonly backend: tf.KernelBackend) {}

  run(
    name: string,
    inputs: tf.NamedTensorInfoMap | tf.TensorInfo[],
    attrs: tf.NamedAttrMap = {},
  ): tf.TensorInfo {
    const out = wasmKernel(name)({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs });
    return Array.isArray(out) ? out[0]! : out;
  }

  dispose(...ts: (tf.TensorInfo | undefined)[]): void {
    for (const t of ts) if (t) this.backend.disposeData(t.dataId);
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Zero padding; `paddings[i] = [before, after]`. */
  pad(x: tf.TensorInfo, paddings: [number, number][]): tf.TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  /** `[1, M, K] x [1, K, N]`: the shape the WASM backend runs on XNNPACK's GEMM (other shapes take a slow loop). */
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }

  concat(xs: tf.TensorInfo[], axis: number): tf.TensorInfo {
    return this.run('Concat', xs, { axis });
  }

  multiply(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run('Multiply', { a, b });
  }

  sum(x: tf.TensorInfo, axis: number[], keepDims = false): tf.TensorInfo {
    return this.run('Sum', { x }, { axis, keepDims });
  }

  /** A new float32 tensor of zeros. */
  zeros(shape: number[]): tf.TensorInfo {
    return this.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
  }

  /**
   * `x` with zeros added (positive) or entries removed (negative) at the ends of each axis:
   * `pads[i] = [before, after]`. Always returns a new reference (free it).
   */
  padOrCrop(x: tf.TensorInfo, pads: [number, number][]): tf.TensorInfo {
    let cur = x;
    if (pads.some(([p, q]) => p < 0 || q < 0)) {
      const begin = pads.map(([p]) => Math.max(0, -p));
      const size = x.shape.map((d, i) => Math.max(0, d - begin[i]! - Math.max(0, -pads[i]![1])));
      cur = this.slice(x, begin, size);
    }
    const grow = pads.map(([p, q]) => [Math.max(0, p), Math.max(0, q)] as [number, number]);
    if (grow.every(([p, q]) => p === 0 && q === 0)) {
      return cur === x ? this.reshape(x, x.shape) : cur;
    }
    const out = this.pad(cur, grow);
    if (cur !== x) this.dispose(cur);
    return out;
  }
}

/** Throws the error @cv/core's WASM kernels give for NCHW inputs. */
export function assertChannelsLast(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(
      `${kernel} on the 'wasm' backend (@cv/core) supports dataFormat 'NHWC' only, got '${String(dataFormat)}'. ` +
        `Transpose to NHWC (the WASM backend's convolutions are NHWC only).`,
    );
  }
}

/** Throws naming `kernel` and every input's shape unless all of `inputs` (in order) are rank 4. */
export function assertRank4(kernel: string, inputs: Record<string, tf.TensorInfo>): void {
  const named = Object.entries(inputs);
  if (named.every(([, t]) => t.shape.length === 4)) return;
  throw new Error(
    `${kernel} (wasm): ${named.map(([n]) => n).join(' and ')} must be rank 4, got ${named
      .map(([n, t]) => `${n} [${t.shape}]`)
      .join(' and ')}`,
  );
}

type ConvInfoArgs = Parameters<typeof tf.backend_util.computeConv2DInfo>;

/** The attributes tfjs-core sends to the convolution backprop kernels, as `computeConv2DInfo` takes them. */
export interface BackpropConvAttrs {
  strides: ConvInfoArgs[2];
  /** 1 for the ordinary convolution kernels. */
  dilations: ConvInfoArgs[3];
  pad: ConvInfoArgs[4];
  dimRoundingMode?: ConvInfoArgs[5];
  /** Depthwise filter `[KH, KW, C, M]` rather than `[KH, KW, Ci, Co]`. */
  depthwise: boolean;
}

/**
 * The NHWC geometry (`computeConv2DInfo`) of the convolution whose gradient a backprop kernel computes, from
 * the forward input's shape (named `input.name` in errors: 'x' or 'input') and the filter's, after checking
 * that `dy` has the convolution's output shape `[B, OH, OW, C_out]`.
 */
export function backpropConvInfo(
  kernel: string,
  input: { name: string; shape: number[] },
  filterShape: number[],
  dy: tf.TensorInfo,
  attrs: BackpropConvAttrs,
): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(
    input.shape as ConvInfoArgs[0],
    filterShape as ConvInfoArgs[1],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    attrs.depthwise,
    'channelsLast',
  );
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== outShape[i])) {
    throw new Error(
      `${kernel} (wasm): dy has shape [${dy.shape}], expected [${outShape}] for ${input.name} [${input.shape}] and filter [${filterShape}]`,
    );
  }
  return info;
}

/**
 * The input of the stride-1 'valid' convolution (dilation `d`) with the spatially flipped filter that gives
 * an input gradient: `dy [B, OH, OW, C]` dilated by the stride (zeros between rows and columns, made with
 * pads) and padded (or cropped) by `(K−1)·d − top` before and what fills `H + (KH−1)·d_h` rows after (likewise
 * columns): `[B, H + (KH−1)·d_h, W + (KW−1)·d_w, C]`, with `dy[b, oh, ow]` at row `(KH−1)·d_h − top + oh·s_h`.
 * `info` is the forward convolution's geometry, `dy` checked against it.
 */
export function dilatedPaddedDy(
  ops: WasmOps,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: b, inHeight: h, inWidth: w, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const c = dy.shape[3]!;
  const oh = info.outHeight;
  const ow = info.outWidth;
  const hd = oh * sh;
  const wd = ow * sw;
  // dy dilated by the stride: [B, OH·s_h, OW·s_w, C], dy[b, oh, ow] at (oh·s_h, ow·s_w), zeros elsewhere.
  let cur = ops.reshape(dy, [b * oh, 1, ow * c]);
  const step = (next: tf.TensorInfo) => {
    ops.dispose(cur);
    cur = next;
  };
  if (sh > 1) {
    step(
      ops.pad(cur, [
        [0, 0],
        [0, sh - 1],
        [0, 0],
      ]),
    );
  }
  if (sw > 1) {
    step(ops.reshape(cur, [b * hd * ow, 1, c]));
    step(
      ops.pad(cur, [
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]),
    );
  }
  // Pad (or crop) for a 'valid' convolution with the flipped filter: H + (KH−1)·d_h rows, W + (KW−1)·d_w columns.
  const top = (kh - 1) * dh - info.padInfo.top;
  const left = (kw - 1) * dw - info.padInfo.left;
  step(ops.reshape(cur, [b, hd, wd * c]));
  step(
    ops.padOrCrop(cur, [
      [0, 0],
      [top, h + info.padInfo.top - hd],
      [left * c, (w + info.padInfo.left - wd) * c],
    ]),
  );
  step(ops.reshape(cur, [b, h + (kh - 1) * dh, w + (kw - 1) * dw, c]));
  return cur;
}
