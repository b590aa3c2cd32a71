import { Module } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkFeatures,
  checkSamplingRatio,
  checkSpatialScale,
  type OutputSize,
  parseRois,
  type RoisLike,
  resolveOutputSize,
} from './args.js';
import { SparsePlanBuilder } from './roi-align-plan.js';
import { sparseRowSum } from './sparse-rows.js';

export interface RoIAlignOptions {
  /** Input-image coordinates → feature cells (1/16 for a stride-16 backbone). Default 1. */
  spatialScale?: number;
  /**
   * Samples per bin along each axis; ≤ 0 (torchvision's −1, the default) is adaptive:
   * `ceil(roi size / output size)` per axis and RoI.
   */
  samplingRatio?: number;
  /**
   * `true`: shift the box by −0.5 cell so that pixel centres line up (Detectron2's RoIAlignV2, torchvision's
   * `aligned=True`); `false` (default): the original Mask R-CNN RoIAlign, which also stretches RoIs smaller
   * than one cell to 1x1.
   */
  aligned?: boolean;
}

/**
 * RoI align (Mask R-CNN; torchvision's `ops.roi_align`), exactly torchvision's semantics, on NHWC features:
 * each RoI is split into `outputSize` bins without rounding, each bin averages a regular grid of bilinear
 * samples (`samplingRatio` per axis, adaptive by default); a sample more than one cell outside the map is 0,
 * one within a cell of the edge takes the edge's value.
 *
 * - `features` `[N, H, W, C]` float32.
 * - `rois` `[K, 5]`: `(batch index, x1, y1, x2, y2)` in input-image coordinates (corner boxes, not
 *   normalized). A tensor is read with `dataSync()` (sample positions and weights are planned on the CPU).
 * - `outputSize`: `h` or `[h, w]`. Returns `[K, h, w, C]`.
 * - options: `spatialScale` (1), `samplingRatio` (−1: adaptive), `aligned` (false), as torchvision.
 *
 * Gradient: with respect to `features` (the transposed bilinear sampling, torchvision's backward). None
 * with respect to `rois`: torchvision's CPU and CUDA kernels have none either, and detectors train the box
 * regression through their own losses.
 *
 * Runs on every backend: on 'wasm' and 'cpu' through kernels this package registers (WebAssembly SIMD loops
 * on the backend's data), elsewhere through tfjs ops (`gatherND`, multiplication, `avgPool`, `scatterND`).
 */
export function roiAlign(
  features: tf.Tensor4D,
  rois: RoisLike,
  outputSize: OutputSize,
  options: RoIAlignOptions = {},
): tf.Tensor4D {
  const op = 'roiAlign';
  checkFeatures(op, features);
  const [ph, pw] = resolveOutputSize(op, outputSize);
  const { spatialScale = 1, samplingRatio = -1, aligned = false } = options;
  const scale = checkSpatialScale(op, spatialScale);
  const ratio = checkSamplingRatio(op, samplingRatio);
  if (typeof aligned !== 'boolean') {
    throw new Error(`${op}: aligned must be a boolean, got ${String(aligned)}`);
  }
  const [N, H, W, C] = features.shape;
  const { count, values } = parseRois(op, rois, N);
  const builder = new SparsePlanBuilder();
  const geometry = {
    height: H,
    width: W,
    pooledHeight: ph,
    pooledWidth: pw,
    spatialScale: scale,
    samplingRatio: ratio,
    aligned,
  };
  for (let k = 0; k < count; k++) {
    builder.addRoI(values.subarray(k * 5 + 1, k * 5 + 5), values[k * 5]!, 0, geometry);
  }
  const plan = builder.build();
  return tf.tidy(() => {
    const out = sparseRowSum(tf.reshape(features, [N * H * W, C]) as tf.Tensor2D, plan);
    return tf.reshape(out, [count, ph, pw, C]) as tf.Tensor4D;
  });
}

/**
 * torchvision's `ops.RoIAlign` as a module (no parameters):
 * `new RoIAlign(outputSize, { spatialScale, samplingRatio, aligned })`, `.apply(features, rois)` →
 * `[K, h, w, C]`. See {@link roiAlign}.
 */
export class RoIAlign extends Module<[tf.Tensor4D, RoisLike], tf.Tensor4D> {
  readonly outputSize: [number, number];
  readonly spatialScale: number;
  readonly samplingRatio: number;
  readonly aligned: boolean;

  constructor(outputSize: OutputSize, options: RoIAlignOptions = {}) {
    super();
    this.outputSize = resolveOutputSize('RoIAlign', outputSize);
    this.spatialScale = checkSpatialScale('RoIAlign', options.spatialScale ?? 1);
    this.samplingRatio = checkSamplingRatio('RoIAlign', options.samplingRatio ?? -1);
    this.aligned = options.aligned ?? false;
  }

  forward(features: tf.Tensor4D, rois: RoisLike): tf.Tensor4D {
    return roiAlign(features, rois, this.outputSize, {
      spatialScale: this.spatialScale,
      samplingRatio: this.samplingRatio,
      aligned: this.aligned,
    });
  }

  override extraRepr(): string {
    return (
      `output_size=(${this.outputSize.join(', ')}), spatial_scale=${this.spatialScale}, ` +
      `sampling_ratio=${this.samplingRatio}, aligned=${this.aligned}`
    );
  }
}
