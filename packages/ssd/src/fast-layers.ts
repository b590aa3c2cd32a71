import { BatchNorm2d, Conv2d, MaxPool2d } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Per-channel sums of `x` `[M, C]` as `[1, C]`: a GEMM with a row of ones. On the WASM backend `tf.sum` over
 * the leading axes of an NHWC tensor transposes it first; the GEMM reads it once (14x faster, measured).
 */
function channelSum(x2: tf.Tensor2D, ones: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(ones, x2);
}

/**
 * Training-mode batch normalization of `x` `[N, H, W, C]` with a hand-written gradient (Ioffe & Szegedy
 * 2015, the backward pass), in few passes over the large tensor and on the centred input `x − μ` (so that a
 * large mean costs no precision):
 *
 *     xc = x − μ,  y = xc·s + b,  s = w / √(σ² + ε)          (μ, σ² the batch mean and biased variance)
 *     ∂b = Σ dy,  ∂w = Σ dy·xc / √(σ² + ε),  ∂x = s·dy − s/M·(Σ dy + xc·∂w/√(σ² + ε))
 *
 * Returns `[y, mean, variance]`; only `y` carries gradients (to `x`, `weight`, `bias`).
 */
export function batchNormTraining(
  x: tf.Tensor4D,
  weight: tf.Tensor1D,
  bias: tf.Tensor1D,
  eps: number,
  relu = false,
): [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D] {
  const [n, h, w, c] = x.shape;
  const m = n * h * w;
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const f = tf.customGrad((xi, wi, bi, save) => {
    const ws = wi as tf.Tensor1D;
    const bs = bi as tf.Tensor1D;
    const x2 = tf.reshape(xi as tf.Tensor, [m, c]) as tf.Tensor2D;
    const ones = tf.ones([1, m]) as tf.Tensor2D;
    const mean = tf.div(channelSum(x2, ones), m);
    const xc = tf.sub(x2, mean) as tf.Tensor2D;
    const variance = tf.div(channelSum(tf.square(xc) as tf.Tensor2D, ones), m);
    const invstd = tf.rsqrt(tf.add(variance, eps));
    const scale = tf.mul(invstd, ws);
    // y = xc·s + b (then ReLU) in one pass: a 1x1 depthwise convolution with bias and activation.
    const y = tf.fused.depthwiseConv2d({
      x: tf.reshape(xc, [n, h, w, c]) as tf.Tensor4D,
      filter: tf.reshape(scale, [1, 1, c, 1]) as tf.Tensor4D,
      strides: 1,
      pad: 'valid',
      bias: tf.reshape(bs, [c]),
      activation: relu ? 'relu' : 'linear',
    });
    (save as tf.GradSaveFunc)(relu ? [xc, ws, invstd, y] : [xc, ws, invstd]);
    stats = [
      tf.keep(tf.reshape(mean, [c])) as tf.Tensor1D,
      tf.keep(tf.reshape(variance, [c])) as tf.Tensor1D,
    ];
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxc, sw, sinv, sy] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor4D?];
        const dy2 = tf.reshape(sy ? tf.mul(dy, tf.step(sy)) : dy, [m, c]) as tf.Tensor2D;
        const one = tf.ones([1, m]) as tf.Tensor2D;
        const sdy = channelSum(dy2, one); // [1, C]
        const dw = tf.mul(channelSum(tf.mul(dy2, sxc) as tf.Tensor2D, one), sinv); // Σ dy·x̂
        const a = tf.mul(sinv, sw); // s
        const k = tf.div(tf.mul(tf.neg(a), tf.mul(dw, sinv)), m);
        const cst = tf.neg(tf.div(tf.mul(a, sdy), m));
        const dx = tf.reshape(tf.add(tf.add(tf.mul(dy2, a), tf.mul(sxc, k)), cst), [n, h, w, c]);
        return [dx, tf.reshape(dw, [c]), tf.reshape(sdy, [c])];
      },
    };
  });
  const y = f(x, weight, bias) as tf.Tensor4D;
  const [mean, variance] = stats!;
  return [y, mean, variance];
}

/**
 * `BatchNorm2d` (PyTorch semantics, same parameters, buffers and state-dict names as `@cv/core`'s) whose
 * training-mode forward and backward use {@link batchNormTraining}: about 3x faster training on WASM. Eval
 * mode uses the running statistics as `@cv/core`'s does.
 */
export class FastBatchNorm2d extends BatchNorm2d {
  override forward(x: tf.Tensor): tf.Tensor4D {
    return this.#forward(x, false);
  }

  /** `relu(forward(x))` in one fused pass in training mode (fewer and smaller intermediate tensors). */
  forwardRelu(x: tf.Tensor): tf.Tensor4D {
    return tf.tidy(() => this.#forward(x, true));
  }

  #forward(x: tf.Tensor, relu: boolean): tf.Tensor4D {
    if (!this.training || !this.trackRunningStats || !this.weight || !this.bias) {
      const y = super.forward(x);
      return relu ? tf.relu(y) : y;
    }
    const where = `BatchNorm2d(${this.numFeatures}).forward`;
    if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[3] !== this.numFeatures) {
      throw new Error(`${where}: x must be [N, H, W, ${this.numFeatures}] (NHWC), got [${x?.shape}]`);
    }
    const [n, h, w] = x.shape as number[];
    const count = n! * h! * w!;
    if (count <= 1) {
      throw new Error(
        `${where}: expected more than 1 value per channel when training, got input shape [${x.shape}] (as PyTorch)`,
      );
    }
    const [y, mean, variance] = batchNormTraining(
      x as tf.Tensor4D,
      this.weight as tf.Tensor1D,
      this.bias as tf.Tensor1D,
      this.eps,
      relu,
    );
    this.updateRunningStats(mean, variance, count);
    mean.dispose();
    variance.dispose();
    return y;
  }
}

/**
 * 2x2 max pooling with stride 2 (`[N, H, W, C]` → `[N, ⌊H/2⌋, ⌊W/2⌋, C]`): `tf.maxPool` and its `MaxPoolGrad`
 * kernel (6x faster to train on WASM than `@cv/core`'s first-max pool, measured). The gradient goes to one
 * maximum of each window; where a window holds several equal maxima the backend picks one (PyTorch the
 * first), and the WASM kernel gives no gradient to windows whose maximum is ≤ 0. After a ReLU (TinySSD's
 * down-sample blocks) both differences vanish: a ReLU output of 0 passes no gradient back anyway, so the
 * result equals PyTorch's unless two positive values of a window are exactly equal.
 */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

/**
 * `MaxPool2d(2)` (PyTorch's 2x2, stride 2, no padding) computed by {@link maxPool2x2}; meant for
 * non-negative inputs (after a ReLU). Inputs smaller than 2x2 fall back to `@cv/core`'s `MaxPool2d`.
 */
export class FastMaxPool2d extends MaxPool2d {
  constructor() {
    super(2);
  }

  override forward(x: tf.Tensor): tf.Tensor4D {
    if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[1]! < 2 || x.shape[2]! < 2)
      return super.forward(x);
    return maxPool2x2(x as tf.Tensor4D);
  }
}

/**
 * A stride-1 convolution with "same" padding (odd square kernel, padding `k // 2`, no dilation, no groups), bias
 * included, with a hand-written gradient: `∂x` is one convolution of `∂y` with the flipped, transposed kernel
 * (XNNPACK with implicit padding: 3-4x faster on WASM than the backend's `Conv2DBackpropInput` path), `∂w` the
 * backend's `Conv2DBackpropFilter` kernel, `∂b` a GEMM with a row of ones (the generic bias gradient reduces over
 * NHWC's leading axes, which transposes on WASM). The same values as `tf.conv2d(x, w, 1, pad) + b`.
 *
 * @param x `[N, H, W, Ci]`. @param weight HWIO `[k, k, Ci, Co]`. @param bias `[Co]` or null.
 */
export function conv2dSame(x: tf.Tensor4D, weight: tf.Tensor4D, bias: tf.Tensor1D | null): tf.Tensor4D {
  const [n, h, w, ci] = x.shape;
  const [k, , , co] = weight.shape;
  const run = (dy: tf.Tensor4D, sx: tf.Tensor4D, sw: tf.Tensor4D): [tf.Tensor, tf.Tensor] => {
    const flipped = tf.transpose(tf.reverse(sw, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const dx = tf.conv2d(dy, flipped, 1, 'same');
    const dw = tf.engine().runKernel(
      'Conv2DBackpropFilter',
      { x: sx, dy } as unknown as tf.NamedTensorMap,
      {
        strides: [1, 1],
        pad: 'same',
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
        filterShape: [k, k, ci, co],
      } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
    return [dx, dw];
  };
  if (!bias) {
    const f = tf.customGrad((xi, wi, save) => {
      (save as tf.GradSaveFunc)([xi as tf.Tensor, wi as tf.Tensor]);
      return {
        value: tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same'),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          run(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D),
      };
    });
    return f(x, weight) as tf.Tensor4D;
  }
  const f = tf.customGrad((xi, wi, bi, save) => {
    (save as tf.GradSaveFunc)([xi as tf.Tensor, wi as tf.Tensor]);
    return {
      value: tf.add(
        tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same'),
        bi as tf.Tensor,
      ) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [dx, dw] = run(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D);
        const m = n * h * w;
        const db = tf.reshape(tf.matMul(tf.ones([1, m]), tf.reshape(dy, [m, co])), [co]);
        return [dx, dw, db];
      },
    };
  });
  return f(x, weight, bias) as tf.Tensor4D;
}

/**
 * `Conv2d` (PyTorch semantics, names, layout and initialisation of `@cv/core`'s) that computes stride-1 "same"
 * convolutions (odd square kernel, padding `k // 2`) with {@link conv2dSame}; any other configuration uses
 * `@cv/core`'s forward.
 */
export class FastConv2d extends Conv2d {
  override forward(x: tf.Tensor): tf.Tensor4D {
    const [kh, kw] = this.kernelSize;
    const [[t, b], [l, r]] = this.padding;
    const fast =
      x instanceof tf.Tensor &&
      x.rank === 4 &&
      x.shape[3] === this.inChannels &&
      kh === kw &&
      kh % 2 === 1 &&
      t === (kh - 1) / 2 &&
      b === t &&
      l === t &&
      r === t &&
      this.stride[0] === 1 &&
      this.stride[1] === 1 &&
      this.dilation[0] === 1 &&
      this.dilation[1] === 1 &&
      this.groups === 1;
    if (!fast) return super.forward(x);
    return conv2dSame(x as tf.Tensor4D, this.weight as tf.Tensor4D, this.bias as tf.Tensor1D | null);
  }
}
