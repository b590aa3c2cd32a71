import * as tf from '@tensorflow/tfjs-core';
import { type KernelArgs, WasmOps } from './kernel-utils.js';

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
  if (dy.shape.length !== 4 || filter.shape.length !== 4) {
    throw new Error(
      `DepthwiseConv2dNativeBackpropInput (wasm): dy and filter must be rank 4, got dy [${dy.shape}] and filter [${filter.shape}]`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? [1, 1],
    pad,
    dimRoundingMode,
    true,
    'channelsLast',
  );
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.some((d, i) => d !== outShape[i])) {
    throw new Error(
      `DepthwiseConv2dNativeBackpropInput (wasm): dy has shape [${dy.shape}], expected [${outShape}] for input [${inputShape}] and filter [${filter.shape}]`,
    );
  }
  const ops = new WasmOps(backend);
  const [b, h, w, c] = inputShape;
  const [kh, kw, , m] = filter.shape as [number, number, number, number];
  const cm = c * m;
  if (info.outHeight <= 0 || info.outWidth <= 0 || b * h * w * c === 0) {
    return ops.run('Fill', {}, { shape: [b, h, w, c], value: 0, dtype: 'float32' });
  }
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const oh = info.outHeight;
  const ow = info.outWidth;
  const hd = oh * sh;
  const wd = ow * sw;

  // dy dilated by the stride: [B, OH·s_h, OW·s_w, C·M], dy[b, oh, ow] at (oh·s_h, ow·s_w), zeros elsewhere.
  let cur = ops.reshape(dy, [b * oh, 1, ow * cm]);
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
    step(ops.reshape(cur, [b * hd * ow, 1, cm]));
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
  step(ops.reshape(cur, [b, hd, wd * cm]));
  step(
    ops.padOrCrop(cur, [
      [0, 0],
      [top, h + info.padInfo.top - hd],
      [left * cm, (w + info.padInfo.left - wd) * cm],
    ]),
  );
  step(ops.reshape(cur, [b, h + (kh - 1) * dh, w + (kw - 1) * dw, cm]));

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
