import { DatasetFileError } from './errors.js';
import { getDataPlatform, joinRoot } from './platform.js';
import { VOC_LAYOUT_HINT } from './voc-constants.js';

/** The image-set lists: `ImageSets/Segmentation` (segmentation) and `ImageSets/Main` (detection). */
export type VocTask = 'Segmentation' | 'Main';

function checkSplit(fn: string, split: unknown): string {
  if (typeof split !== 'string' || !/^[A-Za-z0-9_-]+$/.test(split))
    throw new Error(
      `${fn}: split must be a list name such as 'train', 'val' or 'trainval', got '${String(split)}'`,
    );
  return split;
}

/**
 * The image ids of `ImageSets/<task>/<split>.txt` under `vocDir` (the `VOCdevkit/VOC2012` folder). A missing
 * list names its path and what a VOCdevkit holds.
 */
export async function readImageSet(
  fn: string,
  vocDir: string,
  task: VocTask,
  split: string,
): Promise<string[]> {
  if (typeof vocDir !== 'string' || vocDir === '')
    throw new Error(
      `${fn}: vocDir must be the VOCdevkit/VOC2012 folder (a path or URL), got '${String(vocDir)}'`,
    );
  checkSplit(fn, split);
  const rel = `ImageSets/${task}/${split}.txt`;
  const where = joinRoot(vocDir, rel);
  let bytes: Uint8Array;
  try {
    bytes = await getDataPlatform().readBytes(vocDir, rel);
  } catch (err) {
    throw new DatasetFileError(
      `${fn}: cannot read the list ${where} (${(err as Error).message}); is '${vocDir}' a VOCdevkit/VOC2012 folder? ${VOC_LAYOUT_HINT}`,
      where,
      'missing',
    );
  }
  // Main's per-class lists have "id  1" lines; the id is the first field.
  return new TextDecoder()
    .decode(bytes)
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((id) => id.length > 0);
}
