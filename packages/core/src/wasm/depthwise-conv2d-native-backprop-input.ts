import type * as tf from '@tensorflow/tfjs-core';
import { assertRank4, backpropConvInfo, dilatedPaddedDy, type KernelArgs, WasmOps } from './kernel-utils.js';

/**
 * `DepthwiseConv2dNativeBackpropInput` for the 'wasm' backend, from the WASM backend's own kernels.
 *
 * dx[b, i, j, c] = Σ_{kh, kw, m} dy[b, oh, ow, c·M + m] · W[kh, kw, c, m] where i = oh·s_h + kh·d_h − top
 * (and likewise for j). That is a stride-1 depthwise convolution (the WASM backend's XNNPACK
 * `DepthwiseConv2dNative`, dilation d) of `dy` dilated by the stride (zeros between rows and columns, made
 * with pads), padded by `(K−1)·d − top`, with the spatially flipped filter; for M > 1 the C·M channels are
 * then summed in groups of M.
 *
 * Inputs `{dy: [B, OH, OW, C·M], filter: [KH, KW, C, M]}`; attrs `{strides, pad, dimRoundingMode, dilations,
 * inputShape: [B, H, W, C]}` as tfjs-core's `depthwiseConv2dNativeBackpropInput` op sends them.
 */
export function depthwiseConv2dNativeBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const { strides, pad, dimRoundingMode, dilations, inputShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  assertRank4('DepthwiseConv2dNativeBackpropInput', { dy, filter });
  const info = backpropConvInfo(
    'DepthwiseConv2dNativeBackpropInput',
    { name: 'input', shape: inputShape },
    filter.shape,
    dy,
    { strides, dilations: dilations ?? [1, 1], pad, dimRoundingMode, depthwise: true },
  );
  const ops = new WasmOps(backend);
  const [b, h, w, c] = inputShape;
  const [kh, kw, , m] = filter.shape as [number, number, number, number];
  const cm = c * m;
  if (info.outHeight <= 0 || info.outWidth <= 0 || b * h * w * c === 0) return ops.zeros([b, h, w, c]);
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const cur = dilatedPaddedDy(ops, dy, info);

  const flipped = ops.run('Reverse', { x: filter }, { dims: [0, 1] });
  const wf = ops.reshape(flipped, [kh, kw, cm, 1]);
  ops.dispose(flipped);
  const dx = ops.run(
    'DepthwiseConv2dNative',
    { x: cur, filter: wf },
    { strides: [1, 1], pad: 'valid', dilations: [dh, dw] },
  );
  ops.dispose(cur, wf);
  if (m === 1) return dx;
  const grouped = ops.reshape(dx, [b, h, w, c, m]);
  ops.dispose(dx);
  const out = ops.sum(grouped, [4]);
  ops.dispose(grouped);
  return out;
}
