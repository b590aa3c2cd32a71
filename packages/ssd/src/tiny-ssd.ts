import { AdaptiveMaxPool2d } from '@cv/core';
import { downSampleBlock, tinyBaseNet } from './down-sample-block.js';
import { Ssd } from './ssd.js';

/** d2l's anchor sizes for TinySSD's five scales. */
export const TINY_SSD_SIZES: readonly (readonly number[])[] = [
  [0.2, 0.272],
  [0.37, 0.447],
  [0.54, 0.619],
  [0.71, 0.79],
  [0.88, 0.961],
];

/** d2l's anchor ratios (the same at every scale): 4 anchors per pixel with two sizes. */
export const TINY_SSD_RATIOS: readonly number[] = [1, 2, 0.5];

/** The feature channels of TinySSD's five scales. */
export const TINY_SSD_CHANNELS: readonly number[] = [64, 128, 128, 128, 128];

export interface TinySsdOptions {
  /** Foreground classes. Default 1 (bananas). */
  numClasses?: number;
  /**
   * Anchor sizes, one list per scale (5). Default {@link TINY_SSD_SIZES}, d2l's. Two sizes per scale keep d2l's
   * 4 anchors per pixel; {@link ssdAnchorSizes} makes them from a smallest and largest scale fitted to the data.
   */
  sizes?: number[][];
}

/**
 * The SSD paper's anchor sizes (Liu et al. 2016, §2.2): scale `k` of `scales` gets
 * `s_k = minScale + (maxScale − minScale)·k/(scales − 1)` and `√(s_k·s_{k+1})`. d2l's {@link TINY_SSD_SIZES}
 * are `ssdAnchorSizes(0.2, 0.88)` (rounded to 3 digits). Choose `minScale`/`maxScale` from the sizes of the
 * training boxes: anchors much larger than the objects leave them without a positive anchor (IoU ≥ 0.5).
 */
export function ssdAnchorSizes(minScale: number, maxScale: number, scales = 5): number[][] {
  const fn = 'ssdAnchorSizes';
  if (!(Number.isFinite(minScale) && minScale > 0))
    throw new Error(`${fn}: minScale must be a positive number, got ${minScale}`);
  if (!(Number.isFinite(maxScale) && maxScale >= minScale))
    throw new Error(`${fn}: maxScale must be a number ≥ minScale (${minScale}), got ${maxScale}`);
  if (!Number.isInteger(scales) || scales < 2)
    throw new Error(`${fn}: scales must be an integer ≥ 2, got ${scales}`);
  const s = (k: number) => minScale + ((maxScale - minScale) * k) / (scales - 1);
  return Array.from({ length: scales }, (_, k) => [s(k), Math.sqrt(s(k) * s(k + 1))]);
}

/**
 * d2l's `TinySSD` (§13.7.1.5), exactly: `blk_0` the base net (3→16→32→64, three down-sample blocks),
 * `blk_1` a down-sample block 64→128, `blk_2`/`blk_3` 128→128, `blk_4` a global max pool
 * (`AdaptiveMaxPool2d(1)`); at each of the five scales a 3x3 class predictor `cls_i` and box predictor
 * `bbox_i`; anchors of sizes {@link TINY_SSD_SIZES} and ratios {@link TINY_SSD_RATIOS} (4 per pixel).
 * For `[B, 256, 256, 3]`: anchors `[1, 5444, 4]`, clsPreds `[B, 5444, C + 1]`, bboxPreds `[B, 21776]`.
 * Parameter names are d2l's (`blk_0.0.0.weight`, `blk_1.1.running_mean`, `cls_0.weight`, …).
 */
export function tinySsd(options: TinySsdOptions = {}): Ssd {
  const numClasses = options.numClasses ?? 1;
  const stages = [
    tinyBaseNet(),
    downSampleBlock(64, 128),
    downSampleBlock(128, 128),
    downSampleBlock(128, 128),
    new AdaptiveMaxPool2d(1),
  ];
  return new Ssd(stages, {
    arch: 'tiny-ssd',
    numClasses,
    sizes: (options.sizes ?? TINY_SSD_SIZES).map((s) => [...s]),
    ratios: TINY_SSD_SIZES.map(() => [...TINY_SSD_RATIOS]),
    channels: [...TINY_SSD_CHANNELS],
  });
}
