import type * as tf from '@tensorflow/tfjs-core';

/**
 * The shape of a program that tfjs-backend-webgpu 4.22 compiles and runs (its `WebGPUProgram`, declared here
 * so that @cv/core needs no import from the backend package): the backend prepends the bindings
 * (`result`, one `array<f32>` per name in `variableNames`), a `Uniforms` struct (`NAN`, `INFINITY`, each
 * input's and the output's shape and strides, `size` when `size` is true, then `uniforms`), the private
 * `localId`/`localIndex`/`globalId`/`workgroupId` copies of the builtins and accessors such as
 * `getW(d0, d1, d2, d3)`, `getCoordsFromIndex(i)` and `setOutputAtIndex(i, v)`; `getUserCode()` supplies
 * `fn main()` (or `fn main(index : i32)` for a flat dispatch).
 */
export interface WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  workgroupSize: [number, number, number];
  size?: boolean;
  getUserCode(): string;
}

/** One value of a program's own uniforms, in the order of its `uniforms` declaration. */
export interface ProgramUniform {
  type: 'int32' | 'uint32' | 'float32';
  data: number[];
}

/** The part of tfjs-backend-webgpu's `WebGPUBackend` the kernels use. */
export interface WebgpuBackendLike extends tf.KernelBackend {
  runWebGPUProgram(
    program: WebgpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: ProgramUniform[],
  ): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The arguments tfjs-core passes to a kernel function. */
export interface WebgpuKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: WebgpuBackendLike;
  attrs?: tf.NamedAttrMap;
}
