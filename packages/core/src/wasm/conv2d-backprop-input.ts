import * as tf from '@tensorflow/tfjs-core';
import {
  assertChannelsLast,
  backpropConvInfo,
  dilatedPaddedDy,
  type KernelArgs,
  WasmOps,
} from './kernel-utils.js';

/**
 * `Conv2DBackpropInput` for the 'wasm' backend as one forward XNNPACK convolution. tfjs-backend-wasm 4.22
 * has its own `Conv2DBackpropInput` (a direct loop, 5–10x slower than its forward `Conv2D` here), so
 * `registerWasmTrainingKernels` does not register this one; {@link useFastWasmConv2DBackpropInput} swaps it in.
 *
 * dx[b, i, j, ci] = Σ_{kh, kw, co} dy[b, oh, ow, co] · W[kh, kw, ci, co] with i = oh·s_h + kh − top: a stride-1
 * convolution of `dy` dilated by the stride (zeros between rows and columns, made with pads) and padded by
 * `KH − 1 − top`, with the filter flipped in space and its channel axes swapped (`[KH, KW, Co, Ci]`).
 *
 * Inputs `{dy: [B, OH, OW, Co], filter: [KH, KW, Ci, Co]}`; attrs `{strides, pad, dataFormat ('NHWC' only),
 * dimRoundingMode, inputShape: [B, H, W, Ci]}`.
 */
export function conv2dBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as tf.Conv2DBackpropInputAttrs;
  assertChannelsLast('Conv2DBackpropInput', dataFormat);
  const info = backpropConvInfo(
    'Conv2DBackpropInput',
    { name: 'input', shape: inputShape },
    filter.shape,
    dy,
    {
      strides,
      dilations: 1,
      pad,
      dimRoundingMode,
      depthwise: false,
    },
  );
  const ops = new WasmOps(backend);
  const [b, h, w, ci] = inputShape;
  if (info.outHeight <= 0 || info.outWidth <= 0 || b * h * w * ci === 0) return ops.zeros([b, h, w, ci]);
  const cur = dilatedPaddedDy(ops, dy, info);
  const flipped = ops.run('Reverse', { x: filter }, { dims: [0, 1] });
  const wt = ops.transpose(flipped, [0, 1, 3, 2]);
  ops.dispose(flipped);
  const dx = ops.run(
    'Conv2D',
    { x: cur, filter: wt },
    { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC' },
  );
  ops.dispose(cur, wt);
  return dx;
}

/**
 * Replaces tfjs-backend-wasm's own `Conv2DBackpropInput` with {@link conv2dBackpropInputWasm} (opt-in: it
 * changes a kernel the WASM backend ships). Returns false when the 'wasm' backend has no such kernel to replace.
 */
export function useFastWasmConv2DBackpropInput(): boolean {
  const current = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (!current) return false;
  if (current.kernelFunc === (conv2dBackpropInputWasm as unknown as tf.KernelFunc)) return true;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropInputWasm as unknown as tf.KernelFunc,
  });
  return true;
}
