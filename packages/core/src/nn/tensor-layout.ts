import * as tf from '@tensorflow/tfjs-core';

/**
 * How a parameter or buffer is stored in tfjs compared with PyTorch's layout of the same tensor.
 * `stateDict()` writes `toTorch(value)`, `loadStateDict()` reads `fromTorch(entry)`, and shape checks
 * compare `torchShape(value.shape)` with the checkpoint's shape. Both conversions return new tensors.
 */
export interface TensorLayout {
  /** A short description used in messages, e.g. `'HWIO (PyTorch OIHW)'`. */
  readonly name: string;
  /** The PyTorch shape of a tensor of `shape` stored in this layout. */
  torchShape(shape: readonly number[]): number[];
  /** A new tensor in PyTorch's layout. */
  toTorch(x: tf.Tensor): tf.Tensor;
  /** A new tensor in this layout, from one in PyTorch's layout. */
  fromTorch(x: tf.Tensor): tf.Tensor;
}

/**
 * A layout that is an axis permutation of PyTorch's: `stored = transpose(torch, fromTorchPerm)`.
 * For example OIHW→HWIO is `[2, 3, 1, 0]`.
 */
export function permutedLayout(name: string, fromTorchPerm: readonly number[]): TensorLayout {
  const rank = fromTorchPerm.length;
  const sorted = [...fromTorchPerm].sort((a, b) => a - b);
  if (!sorted.every((v, i) => v === i)) {
    throw new Error(
      `permutedLayout(${name}): fromTorchPerm [${fromTorchPerm}] is not a permutation of 0..${rank - 1}`,
    );
  }
  const toTorchPerm: number[] = new Array<number>(rank);
  fromTorchPerm.forEach((p, i) => {
    toTorchPerm[p] = i;
  });
  const check = (x: tf.Tensor | readonly number[], what: string) => {
    const r = Array.isArray(x) ? x.length : (x as tf.Tensor).rank;
    if (r !== rank) throw new Error(`${name} layout: ${what} has rank ${r}, expected rank ${rank}`);
  };
  return {
    name,
    torchShape: (shape) => {
      check(shape, `shape [${shape}]`);
      return toTorchPerm.map((p) => shape[p]!);
    },
    toTorch: (x) => {
      check(x, `tensor of shape [${x.shape}]`);
      return tf.transpose(x, toTorchPerm);
    },
    fromTorch: (x) => {
      check(x, `tensor of shape [${x.shape}]`);
      return tf.transpose(x, [...fromTorchPerm]);
    },
  };
}

/** Stored exactly as PyTorch stores it (biases, BatchNorm parameters and buffers). */
export const IDENTITY_LAYOUT: TensorLayout = {
  name: 'same as PyTorch',
  torchShape: (shape) => [...shape],
  toTorch: (x) => tf.clone(x),
  fromTorch: (x) => tf.clone(x),
};

/** Conv2d weight: tfjs HWIO `[kh, kw, in/groups, out]`, PyTorch OIHW `[out, in/groups, kh, kw]`. */
export const CONV2D_WEIGHT_LAYOUT: TensorLayout = permutedLayout('HWIO (PyTorch OIHW)', [2, 3, 1, 0]);

/**
 * ConvTranspose2d weight: tfjs `conv2dTranspose` filter `[kh, kw, out, in]`, PyTorch `[in, out, kh, kw]`
 * (groups = 1). The same axis permutation as Conv2d's.
 */
export const CONV_TRANSPOSE2D_WEIGHT_LAYOUT: TensorLayout = permutedLayout(
  '[kh,kw,out,in] (PyTorch [in,out,kh,kw])',
  [2, 3, 1, 0],
);

/** Linear weight: stored `[in, out]` (so `y = x·W`), PyTorch `[out, in]`. */
export const LINEAR_WEIGHT_LAYOUT: TensorLayout = permutedLayout('[in,out] (PyTorch [out,in])', [1, 0]);
