import { ReLU, Sequential } from '@cv/core';
import type * as tf from '@tensorflow/tfjs-core';
import { FastBatchNorm2d, FastConv2d, FastMaxPool2d } from './fast-layers.js';

/**
 * The `Sequential` of {@link downSampleBlock}: in training mode it runs each BatchNorm and the ReLU after it as
 * one fused step (`FastBatchNorm2d.forwardRelu`: the same values, fewer intermediate tensors, so that a batch of
 * 32 TinySSD images of 256x256 needs less of the WASM heap); otherwise, or when its layers were replaced, it runs
 * them one by one like any `Sequential`.
 */
export class DownSampleBlock extends Sequential {
  override forward(x: tf.Tensor): tf.Tensor {
    const layers = [...this];
    const fused =
      this.training &&
      layers.length === 7 &&
      layers[1] instanceof FastBatchNorm2d &&
      layers[2] instanceof ReLU &&
      layers[4] instanceof FastBatchNorm2d &&
      layers[5] instanceof ReLU;
    if (!fused) return super.forward(x);
    let y = layers[0]!.apply(x);
    y = (layers[1] as FastBatchNorm2d).forwardRelu(y);
    y = layers[3]!.apply(y);
    y = (layers[4] as FastBatchNorm2d).forwardRelu(y);
    return layers[6]!.apply(y);
  }
}

/**
 * d2l's `down_sample_blk` (§13.7.1.3): two 3x3 convolutions (padding 1), each followed by BatchNorm and
 * ReLU, then a 2x2 max pool, halving height and width: `[B, H, W, inChannels]` →
 * `[B, ⌊H/2⌋, ⌊W/2⌋, outChannels]`. PyTorch names: `0` conv, `1` bn, `2` relu, `3` conv, `4` bn, `5` relu,
 * `6` pool, so a PyTorch state dict (`0.weight`, `1.running_mean`, …) loads by name. Convolutions, BatchNorm and
 * the pool are `FastConv2d`, `FastBatchNorm2d` and `FastMaxPool2d` (same semantics, hand-written gradients, faster on WASM).
 */
export function downSampleBlock(inChannels: number, outChannels: number): DownSampleBlock {
  const fn = 'downSampleBlock';
  for (const [name, v] of [
    ['inChannels', inChannels],
    ['outChannels', outChannels],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${fn}: ${name} must be an integer ≥ 1, got ${v}`);
  }
  const layers = [];
  let c = inChannels;
  for (let i = 0; i < 2; i++) {
    layers.push(
      new FastConv2d(c, outChannels, 3, { padding: 1 }),
      new FastBatchNorm2d(outChannels),
      new ReLU(),
    );
    c = outChannels;
  }
  layers.push(new FastMaxPool2d());
  return new DownSampleBlock(...layers);
}

/**
 * d2l's `base_net`: three down-sample blocks 3→16→32→64 channels, `[B, H, W, 3]` → `[B, H/8, W/8, 64]`
 * (a 256x256 image gives a 32x32 map). PyTorch names `0.*`, `1.*`, `2.*`.
 */
export function tinyBaseNet(): Sequential {
  const filters = [3, 16, 32, 64];
  const net = new Sequential();
  for (let i = 0; i < filters.length - 1; i++) net.append(downSampleBlock(filters[i]!, filters[i + 1]!));
  return net;
}
