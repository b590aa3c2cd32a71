import * as tf from '@tensorflow/tfjs-core';
import type { WebgpuKernelArgs, WebgpuProgram } from './program.js';

/** `out[kh, kw, co, ci] = W[KH−1−kh, KW−1−kw, ci, co]`: the filter of the input gradient as a convolution. */
export class FlipFilterProgram implements WebgpuProgram {
  readonly variableNames = ['W'];
  readonly outputShape: number[];
  shaderKey = 'cvFlipFilter';
  readonly dispatchLayout = { x: [0, 1, 2, 3] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;

  constructor(filterShape: number[]) {
    const [kh, kw, ci, co] = filterShape as [number, number, number, number];
    this.outputShape = [kh, kw, co, ci];
    this.dispatch = [Math.ceil((kh * kw * ci * co) / 64), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = getCoordsFromIndex(index);
          setOutputAtIndex(index, getW(uniforms.wShape[0] - 1 - c[0], uniforms.wShape[1] - 1 - c[1], c[3], c[2]));
        }
      }
    `;
  }
}

/**
 * The explicit pads of the stride-1 convolution of `dy` with the flipped filter that gives the input
 * gradient of a stride-1 convolution, or undefined when there is none (strides > 1, dilation, or pads larger
 * than the kernel, which would need a crop). `dx[h] = Σ_j dy[h − (KH−1−top) + j] · W[KH−1−j]`, so the pads are
 * `KH−1−top` before and `KH−1−bottom` after (likewise for columns).
 */
export function backpropInputAsConvPads(
  info: tf.backend_util.Conv2DInfo,
): [[number, number], [number, number]] | undefined {
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return undefined;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const { top, bottom, left, right } = info.padInfo;
  const pads: [[number, number], [number, number]] = [
    [info.filterHeight - 1 - top, info.filterHeight - 1 - bottom],
    [info.filterWidth - 1 - left, info.filterWidth - 1 - right],
  ];
  if (pads.flat().some((p) => p < 0)) return undefined;
  // The convolution must give back exactly the input's size.
  if (info.outHeight + pads[0][0] + pads[0][1] - info.filterHeight + 1 !== info.inHeight) return undefined;
  if (info.outWidth + pads[1][0] + pads[1][1] - info.filterWidth + 1 !== info.inWidth) return undefined;
  return pads;
}

/**
 * `Conv2DBackpropInput` for the 'webgpu' backend at stride 1: one forward convolution of `dy` with the
 * spatially flipped, in/out-swapped filter through the backend's own `Conv2D` kernel (its tiled implicit-GEMM
 * `Conv2DMMProgram`). Other geometries go to `original` (tfjs-backend-webgpu's `Conv2DDerInputMMProgram`).
 */
export function makeConv2dBackpropInputWebgpu(original: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs = {} } = args as unknown as WebgpuKernelArgs;
    const dy = inputs.dy as tf.TensorInfo;
    const filter = inputs.filter as tf.TensorInfo;
    const { inputShape, strides, pad, dataFormat, dimRoundingMode } =
      attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const pads = info.dataFormat === 'channelsLast' ? backpropInputAsConvPads(info) : undefined;
    const conv2d = tf.getKernel('Conv2D', 'webgpu')?.kernelFunc;
    const empty = [...dy.shape, ...filter.shape].some((d) => d === 0);
    if (!pads || !conv2d || empty) {
      if (!original) {
        throw new Error(
          `Conv2DBackpropInput (webgpu, @cv/core): unsupported geometry dy [${dy.shape}], filter [${filter.shape}] and no original kernel to fall back to`,
        );
      }
      return original(args);
    }
    const flipped = backend.runWebGPUProgram(new FlipFilterProgram(filter.shape), [filter], 'float32');
    try {
      return conv2d({
        inputs: { x: dy, filter: flipped },
        backend,
        attrs: {
          strides: [1, 1],
          pad: [[0, 0], pads[0], pads[1], [0, 0]],
          dataFormat: 'NHWC',
          dilations: [1, 1],
        } as unknown as tf.NamedAttrMap,
      }) as tf.TensorInfo;
    } finally {
      backend.disposeData(flipped.dataId);
    }
  };
}
