import type * as tf from '@tensorflow/tfjs-core';
import { assertRank4, backpropConvInfo, type KernelArgs, WasmOps } from './kernel-utils.js';
import { tapGradient } from './tap-grid.js';

/**
 * `DepthwiseConv2dNativeBackpropFilter` for the 'wasm' backend, from the WASM backend's own kernels.
 *
 * dW[kh, kw, c, m] = Σ_{b, oh, ow} xpad[b, oh·s_h + kh·d_h, ow·s_w + kw·d_w, c] · dy[b, oh, ow, c·M + m].
 *
 * Same grid as `conv2dBackpropFilterWasm` ({@link tapGradient}): the padded input split into stride phases and flattened,
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
  assertRank4('DepthwiseConv2dNativeBackpropFilter', { x, dy });
  const info = backpropConvInfo(
    'DepthwiseConv2dNativeBackpropFilter',
    { name: 'x', shape: x.shape },
    filterShape,
    dy,
    { strides, dilations: dilations ?? [1, 1], pad, dimRoundingMode, depthwise: true },
  );
  const ops = new WasmOps(backend);
  const [, , c, m] = filterShape;
  return tapGradient(ops, x, dy, info, filterShape, {
    window: [c, 1],
    // Channels first: [C, M, K].
    packDy: (dyg, k) => {
      const dk = ops.reshape(dyg, [k, c * m]);
      ops.dispose(dyg);
      const dyt = ops.transpose(dk, [1, 0]);
      ops.dispose(dk);
      const dy3 = ops.reshape(dyt, [c, m, k]);
      ops.dispose(dyt);
      return dy3;
    },
    tap: (a, dy3) => {
      const prod = ops.multiply(a, dy3); // [C, M, K]
      ops.dispose(a);
      const out = ops.sum(prod, [2]); // [C, M]
      ops.dispose(prod);
      return out;
    },
  });
}
