import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type SynthesizeBananasOptions, synthesizeBananas } from './synthesize-bananas.js';
import { type SynthesizeVocOptions, synthesizeVoc } from './synthesize-voc.js';

/**
 * The banana set at `dir`, generated with {@link synthesizeBananas} first if `dir/bananas_train/label.csv` or
 * `dir/bananas_val/label.csv` is absent (a real d2l download in `dir` is used as it is). Node only.
 */
export async function ensureBananas(
  dir: string,
  options: SynthesizeBananasOptions = {},
): Promise<{ dir: string; generated: boolean }> {
  const have = ['bananas_train', 'bananas_val'].every((s) => existsSync(join(dir, s, 'label.csv')));
  if (!have) await synthesizeBananas(dir, options);
  return { dir, generated: !have };
}

/**
 * The VOC tree under `dir` (`dir/VOCdevkit/VOC2012`), generated with {@link synthesizeVoc} first if its
 * `ImageSets/Segmentation/train.txt` or `val.txt` is absent (a real VOCdevkit in `dir` is used as it is). Node only.
 */
export async function ensureVoc(
  dir: string,
  options: SynthesizeVocOptions = {},
): Promise<{ vocDir: string; generated: boolean }> {
  const vocDir = join(dir, 'VOCdevkit', 'VOC2012');
  const have = ['train', 'val'].every((s) =>
    existsSync(join(vocDir, 'ImageSets', 'Segmentation', `${s}.txt`)),
  );
  if (!have) await synthesizeVoc(dir, options);
  return { vocDir, generated: !have };
}
