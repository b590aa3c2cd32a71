import * as tf from '@tensorflow/tfjs-core';

export type ResizeMethod = 'bilinear' | 'nearest';

export interface ResizeOptions {
  /**
   * 'bilinear' (default): PyTorch `F.interpolate(mode='bilinear', align_corners=False)`, no antialiasing;
   * the result is float32. 'nearest': PyTorch `mode='nearest'` (source index ⌊dst · in/out⌋; not
   * 'nearest-exact'), dtype and values kept exactly: use it for label maps, whose values are class indices.
   */
  method?: ResizeMethod;
}

/**
 * Source indices of PyTorch's 'nearest' mode: min(⌊dst · in/out⌋, in − 1). Gathering them (rather than
 * `tf.image.resizeNearestNeighbor`, which returns float32 on the WASM backend) keeps int32 label maps exact.
 */
function nearestIndices(inSize: number, outSize: number): tf.Tensor1D {
  const scale = inSize / outSize;
  return tf.tensor1d(
    Array.from({ length: outSize }, (_, i) => Math.min(Math.floor(i * scale), inSize - 1)),
    'int32',
  );
}

/**
 * Resizes an NHWC image or batch to `[height, width]`, following `torch.nn.functional.interpolate`
 * (antialias=False). Accepts `[H, W]` (a label map), `[H, W, C]` or `[N, H, W, C]` and returns the same rank.
 *
 * Bilinear is `tf.image.resizeBilinear(x, size, alignCorners=false, halfPixelCenters=true)`, which equals
 * PyTorch's `align_corners=False` (half-pixel centers, edge clamping). Note that torchvision's
 * `transforms.Resize` on PIL images antialiases when shrinking; this does not.
 */
export function resize<T extends tf.Tensor2D | tf.Tensor3D | tf.Tensor4D>(
  image: T,
  size: [number, number],
  options: ResizeOptions = {},
): T {
  const method = options.method ?? 'bilinear';
  if (!(image instanceof tf.Tensor) || image.rank < 2 || image.rank > 4) {
    throw new Error(
      `resize: image must be a tensor [H,W], [H,W,C] or [N,H,W,C], got ${image instanceof tf.Tensor ? `shape [${image.shape}]` : typeof image}`,
    );
  }
  if (!Array.isArray(size) || size.length !== 2 || size.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`resize: size must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
  if (method !== 'bilinear' && method !== 'nearest') {
    throw new Error(`resize: method must be 'bilinear' or 'nearest', got '${String(method)}'`);
  }
  return tf.tidy(() => {
    const rank = image.rank;
    let x: tf.Tensor4D =
      rank === 2
        ? (image.expandDims(0).expandDims(3) as tf.Tensor4D)
        : rank === 3
          ? (image.expandDims(0) as tf.Tensor4D)
          : (image as tf.Tensor4D);
    x =
      method === 'bilinear'
        ? tf.image.resizeBilinear(x.dtype === 'float32' ? x : x.toFloat(), size, false, true)
        : tf.gather(
            tf.gather(x, nearestIndices(x.shape[1], size[0]), 1),
            nearestIndices(x.shape[2], size[1]),
            2,
          );
    if (rank === 2) return x.squeeze([0, 3]) as T;
    if (rank === 3) return x.squeeze([0]) as T;
    return x as T;
  });
}
