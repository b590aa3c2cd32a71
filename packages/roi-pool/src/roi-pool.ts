import { Module } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkFeatures,
  checkSpatialScale,
  type OutputSize,
  parseRois,
  type RoisLike,
  resolveOutputSize,
} from './args.js';
import { planRoIPoolCells } from './roi-pool-plan.js';
import { sparseRowMax } from './sparse-rows.js';

/**
 * RoI max pooling (Fast R-CNN; torchvision's `ops.roi_pool`), exactly torchvision's semantics, on NHWC
 * features: each RoI is rounded to feature cells, split into `outputSize` bins
 * (`[floor(i·size/n), ceil((i+1)·size/n))`, so neighbouring bins may share a row or column) and each bin
 * max-pooled per channel; a bin that lies outside the map is 0.
 *
 * - `features` `[N, H, W, C]` float32.
 * - `rois` `[K, 5]`: `(batch index, x1, y1, x2, y2)` in input-image coordinates (corner boxes, not
 *   normalized); `spatialScale` maps them to feature cells (1/16 for a stride-16 backbone). A tensor is read
 *   with `dataSync()` (the RoI geometry is planned on the CPU).
 * - `outputSize`: `h` or `[h, w]`. Returns `[K, h, w, C]`.
 *
 * Gradient: with respect to `features` only, torchvision's: each output's gradient goes to the first cell
 * (row-major) holding the bin's maximum, so tied maxima (ReLU zeros) behave as in PyTorch. There is no
 * gradient with respect to `rois` (torchvision has none either: rounding makes it zero almost everywhere).
 *
 * Runs on every backend: on 'wasm' and 'cpu' through kernels this package registers (WebAssembly SIMD loops
 * on the backend's data, the argmax kept for the backward pass, as torchvision does), elsewhere through tfjs
 * ops (`gatherND`, `maxPool`, `scatterND`, element-wise ops). NaN features: the kernels skip NaN cells as
 * torchvision does; the tfjs-ops path may not (`maxPool`).
 *
 * @example
 * // d2l §8.2: a 4x4 map, two RoIs at scale 0.1, 2x2 output
 * const X = tf.range(0, 16).reshape([1, 4, 4, 1]);
 * roiPool(X, [[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]], 2, 0.1); // [[5, 6], [9, 10]], [[9, 11], [13, 15]]
 */
export function roiPool(
  features: tf.Tensor4D,
  rois: RoisLike,
  outputSize: OutputSize,
  spatialScale = 1,
): tf.Tensor4D {
  const op = 'roiPool';
  checkFeatures(op, features);
  const [ph, pw] = resolveOutputSize(op, outputSize);
  const scale = checkSpatialScale(op, spatialScale);
  const [N, H, W, C] = features.shape;
  const { count, values } = parseRois(op, rois, N);
  const plan = planRoIPoolCells(values, count, {
    batch: N,
    height: H,
    width: W,
    pooledHeight: ph,
    pooledWidth: pw,
    spatialScale: scale,
  });
  return tf.tidy(() => {
    const pooled = sparseRowMax(tf.reshape(features, [N * H * W, C]) as tf.Tensor2D, plan);
    return tf.reshape(pooled, [count, ph, pw, C]) as tf.Tensor4D;
  });
}

/**
 * torchvision's `ops.RoIPool` as a module (no parameters): `new RoIPool(outputSize, spatialScale)`,
 * `.apply(features, rois)` → `[K, h, w, C]`. See {@link roiPool}.
 */
export class RoIPool extends Module<[tf.Tensor4D, RoisLike], tf.Tensor4D> {
  readonly outputSize: [number, number];
  readonly spatialScale: number;

  constructor(outputSize: OutputSize, spatialScale = 1) {
    super();
    this.outputSize = resolveOutputSize('RoIPool', outputSize);
    this.spatialScale = checkSpatialScale('RoIPool', spatialScale);
  }

  forward(features: tf.Tensor4D, rois: RoisLike): tf.Tensor4D {
    return roiPool(features, rois, this.outputSize, this.spatialScale);
  }

  override extraRepr(): string {
    return `output_size=(${this.outputSize.join(', ')}), spatial_scale=${this.spatialScale}`;
  }
}
