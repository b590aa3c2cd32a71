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
    sizes: TINY_SSD_SIZES.map((s) => [...s]),
    ratios: TINY_SSD_SIZES.map(() => [...TINY_SSD_RATIOS]),
    channels: [...TINY_SSD_CHANNELS],
  });
}
