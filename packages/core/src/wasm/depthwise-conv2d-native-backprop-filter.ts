import * as tf from '@tensorflow/tfjs-core';
import { dyOnGrid, phaseGrid, phaseSplit, tapOffset } from './conv2d-backprop-filter.js';
import { type KernelArgs, WasmOps } from './kernel-utils.js';

/**
 * `DepthwiseConv2dNativeBackpropFilter` for the 'wasm' backend, from the WASM backend's own kernels.
 *
 * dW[kh, kw, c, m] = Σ_{b, oh, ow} xpad[b, oh·s_h + kh·d_h, ow·s_w + kw·d_w, c] · dy[b, oh, ow, c·M + m].
 *
 * Same grid as {@link conv2dBackpropFilterWasm}: the padded input split into stride phases and flattened,
 * `dy` laid on that grid, so each tap's input window is one shifted copy (a zero pad of the flattened input).
 * Channels do not mix, so each tap is an element-wise product with `dy` and a sum over the grid
 * (`Multiply` + `Sum`, both streaming).
 *
 * Inputs `{x: [B, H, W, C], dy: [B, OH, OW, C·M]}`; attrs `{strides, pad, dimRoundingMode, dilations,
 * filterShape: [KH, KW, C, M]}` as tfjs-core's `depthwiseConv2dNativeBackpropFilter` op sends them.
 */
export function depthwiseConv2dNativeBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const { strides, pad, dimRoundingMode, dilations, filterShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new Error(
      `DepthwiseConv2dNativeBackpropFilter (wasm): x and dy must be rank 4, got x [${x.shape}] and dy [${dy.shape}]`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
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
      `DepthwiseConv2dNativeBackpropFilter (wasm): dy has shape [${dy.shape}], expected [${outShape}] for x [${x.shape}] and filter [${filterShape}]`,
    );
  }
  const ops = new WasmOps(backend);
  const [kh, kw, c, m] = filterShape;
  if (info.outHeight <= 0 || info.outWidth <= 0 || info.batchSize === 0 || c === 0 || m === 0) {
    return ops.run('Fill', {}, { shape: [kh, kw, c, m], value: 0, dtype: 'float32' });
  }
  const g = phaseGrid(info);
  const taps: { phase: number; offset: number }[] = [];
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(tapOffset(info, g, i, j));
  const qh = Math.floor(((kh - 1) * info.dilationHeight) / info.strideHeight);
  const qw = Math.floor(((kw - 1) * info.dilationWidth) / info.strideWidth);
  const maxOff = qh * g.wq + qw;
  const xg = phaseSplit(ops, x, info, g); // [P·C, T]
  const dyg = dyOnGrid(ops, dy, g, qh, qw, g.t + maxOff); // [K, C·M]
  const k = dyg.shape[0]!;
  // Channels first: [C, M, K].
  const dk = ops.reshape(dyg, [k, c * m]);
  ops.dispose(dyg);
  const dyt = ops.transpose(dk, [1, 0]);
  ops.dispose(dk);
  const dy3 = ops.reshape(dyt, [c, m, k]);
  ops.dispose(dyt);
  const xPhase: (tf.TensorInfo | undefined)[] = [];
  const out: tf.TensorInfo[] = [];
  try {
    for (const { phase, offset } of taps) {
      let xp = xPhase[phase];
      if (!xp) {
        xp = xg.shape[0] === c ? ops.reshape(xg, [c, g.t]) : ops.slice(xg, [phase * c, 0], [c, g.t]);
        xPhase[phase] = xp;
      }
      const shifted = ops.pad(xp, [
        [0, 0],
        [maxOff - offset, k - g.t - maxOff + offset],
      ]);
      const a = ops.reshape(shifted, [c, 1, k]);
      ops.dispose(shifted);
      const prod = ops.multiply(a, dy3); // [C, M, K]
      ops.dispose(a);
      out.push(ops.sum(prod, [2])); // [C, M]
      ops.dispose(prod);
    }
  } finally {
    ops.dispose(xg, dy3, ...xPhase);
  }
  const stacked = out.length === 1 ? out[0]! : ops.concat(out, 0);
  const result = ops.reshape(stacked, [kh, kw, c, m]);
  ops.dispose(...out);
  if (stacked !== out[0]) ops.dispose(stacked);
  return result;
}
