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
