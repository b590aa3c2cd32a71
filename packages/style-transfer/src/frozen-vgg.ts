import { Conv2d, MaxPool2d, ReLU } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Vgg19 } from './vgg19.js';

/**
 * The backward kernels of a VGG-19 whose weights stay fixed: for each 3x3 convolution, its filter flipped in
 * space with the channel axes swapped (`[3, 3, out, in]`), so that the input gradient is one forward
 * convolution `conv2d(dy, flipped, 1, 'same')`. Made once (a copy of the weights) instead of at every
 * backward pass; the WASM backend also keeps its packed XNNPACK operator for a filter that lives on.
 * The network's weights must not change while it is in use; `dispose()` frees the copies.
 */
export class FrozenVgg19 {
  readonly net: Vgg19;
  readonly #flipped = new Map<number, tf.Tensor4D>();
  #disposed = false;

  /** Layers `0..lastLayer` get flipped filters (default: all the network's). */
  readonly lastLayer: number;

  constructor(net: Vgg19, lastLayer: number = net.lastLayer) {
    if (!Number.isInteger(lastLayer) || lastLayer < 0 || lastLayer > net.lastLayer) {
      throw new Error(
        `FrozenVgg19: lastLayer must be an integer in [0, ${net.lastLayer}], got ${String(lastLayer)}`,
      );
    }
    this.net = net;
    this.lastLayer = lastLayer;
    tf.tidy(() => {
      for (let i = 0; i <= lastLayer; i++) {
        const m = net.layer(i);
        if (m instanceof Conv2d) this.#flipped.set(i, tf.keep(flipKernel(m.weight as tf.Tensor4D)));
      }
    });
  }

  /** The flipped filter of conv layer `i`. */
  flipped(i: number): tf.Tensor4D | undefined {
    if (this.#disposed) throw new Error('FrozenVgg19: used after dispose()');
    return this.#flipped.get(i);
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    tf.dispose([...this.#flipped.values()]);
    this.#flipped.clear();
  }
}

/** HWIO `[kh, kw, in, out]` → flipped in space, `[kh, kw, out, in]`: the filter of the input gradient. */
export function flipKernel(w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]));
}

/**
 * One VGG convolution (3x3, stride 1, padding 1, bias), optionally with its ReLU fused, as a function of `x`
 * only: the weights are constants (no gradient flows into them, so no filter gradient is ever computed). The
 * input gradient is `conv2d(dy · [y > 0], flipped, 1, 'same')`, PyTorch's (ReLU's gradient is 0 at 0).
 */
export function vggConv(x: tf.Tensor4D, conv: Conv2d, relu: boolean, flipped?: tf.Tensor4D): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.fused.conv2d({
      x: input,
      filter: conv.weight as tf.Tensor4D,
      strides: 1,
      pad: 'same',
      bias: conv.bias ?? undefined,
      activation: relu ? 'relu' : 'linear',
    });
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = (relu ? tf.mul(dy, tf.step(saved[0]!)) : dy) as tf.Tensor4D;
        const k = flipped ?? flipKernel(conv.weight as tf.Tensor4D);
        return tf.conv2d(g, k, 1, 'same');
      },
    };
  });
  return f(x) as tf.Tensor4D;
}

/** Throws unless layer `i` of `net` is what the fast path assumes (torchvision's VGG layers). @internal */
export function checkVggLayer(net: Vgg19, i: number): void {
  const m = net.layer(i);
  const ok =
    m instanceof ReLU ||
    (m instanceof MaxPool2d &&
      m.kernelSize.every((k) => k === 2) &&
      m.stride.every((s) => s === 2) &&
      m.padding.every((p) => p === 0) &&
      !m.ceilMode) ||
    (m instanceof Conv2d &&
      m.kernelSize.every((k) => k === 3) &&
      m.stride.every((s) => s === 1) &&
      m.dilation.every((d) => d === 1) &&
      m.groups === 1 &&
      m.padding.every(([a, b]) => a === 1 && b === 1));
  if (!ok) throw new Error(`extractFeatures: layer ${i} (${m.toString()}) is not a VGG layer`);
}
