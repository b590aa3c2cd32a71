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
  const wt = flippedFilter(ops, filter);
  const dx = ops.run(
    'Conv2D',
    { x: cur, filter: wt },
    { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC' },
  );
  ops.dispose(cur);
  return dx;
}

/** How many flipped filters {@link flippedFilter} keeps (a VGG-19 or ResNet-18 has fewer convolutions). */
const FLIPPED_CACHE_SIZE = 64;

/** filter dataId → its flipped, channel-swapped copy, oldest first; owned by the cache. */
const flippedCache = new Map<object, tf.TensorInfo>();

/**
 * `filter` flipped in space with its channel axes swapped (`[KH, KW, Co, Ci]`), cached per filter buffer. A
 * tensor's data never changes under one dataId (a Variable's `assign` moves it to a new one), so a frozen
 * filter (style transfer's VGG, any backbone that is not trained) is flipped once, and XNNPACK keeps its
 * packed operator for the cached copy instead of repacking the weights on every backward pass: measured
 * 6–7x the forward's time without the cache for a 3x3x512x512 filter on a small input. Copies whose filter was
 * disposed are freed on the next call; at most {@link FLIPPED_CACHE_SIZE} are kept.
 */
function flippedFilter(ops: WasmOps, filter: tf.TensorInfo): tf.TensorInfo {
  const data = (ops.backend as unknown as { dataIdMap: { has(id: object): boolean } }).dataIdMap;
  for (const [id, t] of flippedCache) {
    if (!data.has(id) || !data.has(t.dataId)) {
      if (data.has(t.dataId)) ops.dispose(t);
      flippedCache.delete(id);
    }
  }
  const hit = flippedCache.get(filter.dataId);
  if (hit) {
    flippedCache.delete(filter.dataId);
    flippedCache.set(filter.dataId, hit);
    return hit;
  }
  const flipped = ops.run('Reverse', { x: filter }, { dims: [0, 1] });
  const wt = ops.transpose(flipped, [0, 1, 3, 2]);
  ops.dispose(flipped);
  flippedCache.set(filter.dataId, wt);
  if (flippedCache.size > FLIPPED_CACHE_SIZE) {
    const [oldId, old] = flippedCache.entries().next().value as [object, tf.TensorInfo];
    ops.dispose(old);
    flippedCache.delete(oldId);
  }
  return wt;
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
