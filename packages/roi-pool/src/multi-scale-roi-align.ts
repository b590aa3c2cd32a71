import { Module } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkFeatures,
  checkSamplingRatio,
  type OutputSize,
  parseRois,
  type RoisLike,
  resolveOutputSize,
} from './args.js';
import { f32 } from './float32.js';
import { SparsePlanBuilder } from './roi-align-plan.js';
import { sparseRowSum } from './sparse-rows.js';

export interface MultiScaleRoIAlignOptions {
  /** Samples per bin axis (torchvision's detection models use 2); ≤ 0 is adaptive. Required, as in torchvision. */
  samplingRatio: number;
  /**
   * The input image size `[height, width]`, or one per image (the largest height and width are used, as
   * torchvision does): each level's scale is the power of two nearest to its height / the image height.
   * Give this or `scales`.
   */
  imageSize?: readonly [number, number] | ReadonlyArray<readonly [number, number]>;
  /** Each level's scale (feature cells per input pixel, powers of two such as 1/4, 1/8, …), finest first. */
  scales?: readonly number[];
  /** The box size that maps to `canonicalLevel` (FPN eq. 1). Default 224. */
  canonicalScale?: number;
  /** The level of a box of `canonicalScale` pixels. Default 4. */
  canonicalLevel?: number;
}

const OP = 'multiScaleRoIAlign';

/** torchvision's `_infer_scale`: 2^round(log2(feature height / image height)), halves to even as torch. */
function inferScale(featureHeight: number, imageHeight: number): number {
  const e = Math.log2(f32(featureHeight / imageHeight));
  const r = Math.round(e);
  const even = Math.abs(e - Math.trunc(e)) === 0.5 ? 2 * Math.round(e / 2) : r;
  return 2 ** even;
}

/**
 * The level of each RoI: torchvision's `LevelMapper` (FPN paper, eq. 1) in float32,
 * `floor(canonicalLevel + log2(sqrt(area) / canonicalScale) + 1e-6)` clamped to the pyramid's levels
 * (`k_min = −log2(scales[0])`, `k_max = −log2(scales[last])`). A box of negative area (x2 < x1 xor
 * y2 < y1) has no level: torchvision's NaN level matches none and the RoI's output stays 0.
 */
export function mapRoIsToLevels(
  rois: Float32Array,
  count: number,
  scales: readonly number[],
  canonicalScale = 224,
  canonicalLevel = 4,
): Int32Array {
  const kMin = Math.trunc(-f32(Math.log2(f32(scales[0]!))));
  const kMax = Math.trunc(-f32(Math.log2(f32(scales[scales.length - 1]!))));
  const levels = new Int32Array(count);
  const eps = f32(1e-6);
  for (let k = 0; k < count; k++) {
    const o = k * 5;
    const area = f32(f32(rois[o + 3]! - rois[o + 1]!) * f32(rois[o + 4]! - rois[o + 2]!));
    if (Number.isNaN(Math.sqrt(area))) {
      levels[k] = -1;
      continue;
    }
    const s = f32(Math.sqrt(area));
    const target = Math.floor(f32(f32(canonicalLevel + f32(Math.log2(f32(s / canonicalScale)))) + eps));
    levels[k] = Math.min(Math.max(target, kMin), kMax) - kMin;
  }
  return levels;
}

function resolveScales(features: readonly tf.Tensor4D[], options: MultiScaleRoIAlignOptions): number[] {
  if (options.scales !== undefined) {
    const { scales } = options;
    if (
      !Array.isArray(scales) ||
      scales.length !== features.length ||
      !scales.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0)
    ) {
      throw new Error(
        `${OP}: scales must be ${features.length} finite numbers > 0 (one per level), got ${JSON.stringify(scales)}`,
      );
    }
    return [...scales];
  }
  const { imageSize } = options;
  if (imageSize === undefined) {
    throw new Error(`${OP}: give options.imageSize ([height, width] of the input) or options.scales`);
  }
  const sizes = (Array.isArray(imageSize[0]) ? imageSize : [imageSize]) as ReadonlyArray<
    readonly [number, number]
  >;
  if (
    sizes.length === 0 ||
    !sizes.every((s) => Array.isArray(s) && s.length === 2 && s.every((v) => Number.isInteger(v) && v >= 1))
  ) {
    throw new Error(
      `${OP}: imageSize must be [height, width] (integers ≥ 1) or a list of them, got ${JSON.stringify(imageSize)}`,
    );
  }
  const height = Math.max(...sizes.map((s) => s[0]));
  return features.map((f) => inferScale(f.shape[1], height));
}

/**
 * RoI align over a feature pyramid (FPN; torchvision's `ops.MultiScaleRoIAlign`, as Faster/Mask R-CNN
 * with FPN use it): each RoI is pooled from one level, chosen by its size (`mapRoIsToLevels`), with
 * torchvision's `roi_align` at that level's scale (`aligned = false`, as torchvision).
 *
 * - `features`: the levels `[N, H_l, W_l, C]`, finest first (same N and C).
 * - `rois` `[K, 5]`: `(batch index, x1, y1, x2, y2)` in input-image pixels.
 * - options: `samplingRatio` (required), `imageSize` or `scales`, `canonicalScale` (224), `canonicalLevel` (4).
 * Returns `[K, h, w, C]`, gradients with respect to every level. One level: plain `roi_align` of every RoI.
 */
export function multiScaleRoIAlign(
  features: readonly tf.Tensor4D[],
  rois: RoisLike,
  outputSize: OutputSize,
  options: MultiScaleRoIAlignOptions,
): tf.Tensor4D {
  if (!Array.isArray(features) || features.length === 0) {
    throw new Error(`${OP}: features must be a non-empty array of [N, H, W, C] tensors (finest level first)`);
  }
  features.forEach((f, i) => {
    checkFeatures(OP, f, `features[${i}]`);
  });
  const [N, , , C] = features[0]!.shape;
  features.forEach((f, i) => {
    if (f.shape[0] !== N || f.shape[3] !== C) {
      throw new Error(
        `${OP}: every level must have the batch and channels of features[0] [${features[0]!.shape}], ` +
          `features[${i}] has shape [${f.shape}]`,
      );
    }
  });
  const [ph, pw] = resolveOutputSize(OP, outputSize);
  if (options === undefined || typeof options !== 'object') {
    throw new Error(`${OP}: options { samplingRatio, imageSize | scales } are required`);
  }
  const samplingRatio = checkSamplingRatio(OP, options.samplingRatio);
  const { canonicalScale = 224, canonicalLevel = 4 } = options;
  if (!Number.isFinite(canonicalScale) || canonicalScale <= 0 || !Number.isFinite(canonicalLevel)) {
    throw new Error(
      `${OP}: canonicalScale must be > 0 and canonicalLevel finite, got ${canonicalScale} and ${canonicalLevel}`,
    );
  }
  const scales = resolveScales(features, options);
  const { count, values } = parseRois(OP, rois, N);
  const levels =
    features.length === 1
      ? new Int32Array(count)
      : mapRoIsToLevels(values, count, scales, canonicalScale, canonicalLevel);
  const offsets: number[] = [];
  let rows = 0;
  for (const f of features) {
    offsets.push(rows);
    rows += N * f.shape[1] * f.shape[2];
  }
  const builder = new SparsePlanBuilder();
  for (let k = 0; k < count; k++) {
    const level = levels[k]!;
    const f = features[Math.max(level, 0)]!;
    builder.addRoI(
      values.subarray(k * 5 + 1, k * 5 + 5),
      values[k * 5]!,
      offsets[Math.max(level, 0)]!,
      {
        height: f.shape[1],
        width: f.shape[2],
        pooledHeight: ph,
        pooledWidth: pw,
        spatialScale: scales[Math.max(level, 0)]!,
        samplingRatio,
        aligned: false,
      },
      level >= 0,
    );
  }
  const plan = builder.build();
  return tf.tidy(() => {
    const flat = tf.concat(
      features.map((f) => tf.reshape(f, [N * f.shape[1] * f.shape[2], C])),
      0,
    ) as tf.Tensor2D;
    return tf.reshape(sparseRowSum(flat, plan), [count, ph, pw, C]) as tf.Tensor4D;
  });
}

/**
 * torchvision's `ops.MultiScaleRoIAlign` as a module (no parameters):
 * `new MultiScaleRoIAlign(outputSize, { samplingRatio, canonicalScale, canonicalLevel })`,
 * `.apply(levels, rois, imageSize)` → `[K, h, w, C]`. See {@link multiScaleRoIAlign}.
 */
export class MultiScaleRoIAlign extends Module<
  [tf.Tensor4D[], RoisLike, readonly [number, number] | ReadonlyArray<readonly [number, number]>],
  tf.Tensor4D
> {
  readonly outputSize: [number, number];
  readonly samplingRatio: number;
  readonly canonicalScale: number;
  readonly canonicalLevel: number;

  constructor(
    outputSize: OutputSize,
    options: { samplingRatio: number; canonicalScale?: number; canonicalLevel?: number },
  ) {
    super();
    this.outputSize = resolveOutputSize('MultiScaleRoIAlign', outputSize);
    this.samplingRatio = checkSamplingRatio('MultiScaleRoIAlign', options?.samplingRatio);
    this.canonicalScale = options.canonicalScale ?? 224;
    this.canonicalLevel = options.canonicalLevel ?? 4;
  }

  forward(
    features: tf.Tensor4D[],
    rois: RoisLike,
    imageSize: readonly [number, number] | ReadonlyArray<readonly [number, number]>,
  ): tf.Tensor4D {
    return multiScaleRoIAlign(features, rois, this.outputSize, {
      samplingRatio: this.samplingRatio,
      imageSize,
      canonicalScale: this.canonicalScale,
      canonicalLevel: this.canonicalLevel,
    });
  }

  override extraRepr(): string {
    return `output_size=(${this.outputSize.join(', ')}), sampling_ratio=${this.samplingRatio}`;
  }
}
