import { imageHeaderSize } from './image-header.js';
import { getDataPlatform, joinRoot } from './platform.js';
import { parseVocAnnotation } from './voc-annotation.js';
import { decodeLabelFile } from './voc-labels.js';
import { readImageSet } from './voc-layout.js';

export interface CheckVocOptions {
  /** Lists to check in each of ImageSets/Segmentation and ImageSets/Main. Default train, val, trainval. */
  splits?: readonly string[];
  /** Decode every JPEG fully (finds truncated files; slower). Default true; false reads headers only. */
  decode?: boolean;
  /** Called as files are checked. */
  onProgress?: (done: number, total: number) => void;
  /** Files read at once. Default 8. */
  concurrency?: number;
}

export interface CheckVocProblem {
  path: string;
  problem: 'missing' | 'unreadable' | 'label-values' | 'size-mismatch' | 'bad-annotation';
  message: string;
}

export interface CheckVocReport {
  vocDir: string;
  /** Ids per list: `Segmentation/train` → 1464, …; a list that is absent is `null`. */
  counts: Record<string, number | null>;
  /** Files checked (distinct). */
  files: number;
  problems: CheckVocProblem[];
  ok: boolean;
}

/**
 * Validates a VOCdevkit/VOC2012 tree (a real one or a generated one): counts the ids of each image-set list,
 * and for every listed id checks that `JPEGImages/<id>.jpg` exists and decodes, that `SegmentationClass/<id>.png`
 * (segmentation lists) decodes, matches the image size and holds only labels 0..20 and 255, and that
 * `Annotations/<id>.xml` (Main lists) parses with known classes and boxes inside the image.
 */
export async function checkVoc(vocDir: string, options: CheckVocOptions = {}): Promise<CheckVocReport> {
  const platform = getDataPlatform();
  const splits = options.splits ?? ['train', 'val', 'trainval'];
  const counts: Record<string, number | null> = {};
  const seg = new Set<string>();
  const main = new Set<string>();
  const problems: CheckVocProblem[] = [];
  for (const task of ['Segmentation', 'Main'] as const) {
    for (const split of splits) {
      try {
        const ids = await readImageSet('checkVoc', vocDir, task, split);
        counts[`${task}/${split}`] = ids.length;
        for (const id of ids) (task === 'Segmentation' ? seg : main).add(id);
      } catch {
        counts[`${task}/${split}`] = null;
      }
    }
  }
  if (Object.values(counts).every((c) => c === null)) {
    problems.push({
      path: joinRoot(vocDir, 'ImageSets'),
      problem: 'missing',
      message: `no image-set list found under ${joinRoot(vocDir, 'ImageSets')} (Segmentation or Main ${splits.join('/')}.txt)`,
    });
  }
  const all = [...new Set([...seg, ...main])];
  const total = all.length;
  let done = 0;
  const read = async (rel: string): Promise<Uint8Array | undefined> => {
    try {
      return await platform.readBytes(vocDir, rel);
    } catch (err) {
      problems.push({ path: joinRoot(vocDir, rel), problem: 'missing', message: (err as Error).message });
      return undefined;
    }
  };
  const checkOne = async (id: string) => {
    const imgRel = `JPEGImages/${id}.jpg`;
    const imgWhere = joinRoot(vocDir, imgRel);
    const bytes = await read(imgRel);
    let size: { width: number; height: number } | undefined;
    if (bytes) {
      try {
        if (options.decode ?? true) size = await platform.decodeRgb(bytes, imgWhere);
        else {
          size = imageHeaderSize(bytes);
          if (!size) throw new Error(`cannot read the size in the header of ${imgWhere}`);
        }
      } catch (err) {
        problems.push({ path: imgWhere, problem: 'unreadable', message: (err as Error).message });
      }
    }
    if (seg.has(id)) {
      const rel = `SegmentationClass/${id}.png`;
      const where = joinRoot(vocDir, rel);
      const lb = await read(rel);
      if (lb) {
        try {
          const lab = await decodeLabelFile(lb, where, platform);
          if (size && (lab.width !== size.width || lab.height !== size.height))
            problems.push({
              path: where,
              problem: 'size-mismatch',
              message: `label ${where} is ${lab.width}x${lab.height} but the image is ${size.width}x${size.height}`,
            });
        } catch (err) {
          const msg = (err as Error).message;
          problems.push({
            path: where,
            problem: /has the (value|colour)/.test(msg) ? 'label-values' : 'unreadable',
            message: msg,
          });
        }
      }
    }
    if (main.has(id)) {
      const rel = `Annotations/${id}.xml`;
      const where = joinRoot(vocDir, rel);
      const xb = await read(rel);
      if (xb) {
        try {
          const ann = parseVocAnnotation(new TextDecoder().decode(xb), where);
          if (size && (ann.width !== size.width || ann.height !== size.height))
            problems.push({
              path: where,
              problem: 'size-mismatch',
              message: `annotation ${where} says ${ann.width}x${ann.height} but the image is ${size.width}x${size.height}`,
            });
        } catch (err) {
          problems.push({ path: where, problem: 'bad-annotation', message: (err as Error).message });
        }
      }
    }
    options.onProgress?.(++done, total);
  };
  let next = 0;
  const worker = async () => {
    while (next < all.length) await checkOne(all[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, all.length) }, worker));
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { vocDir, counts, files: total, problems, ok: problems.length === 0 };
}

/** The report as text: counts per list, then each problem (at most `maxProblems`, default 50). */
export function formatCheckVocReport(report: CheckVocReport, maxProblems = 50): string {
  const lines = [`VOC tree: ${report.vocDir}`];
  for (const [list, n] of Object.entries(report.counts))
    lines.push(`  ${list.padEnd(24)} ${n === null ? 'absent' : `${n} ids`}`);
  lines.push(`  ${report.files} distinct ids checked`);
  if (report.ok) lines.push('OK: every listed file exists, decodes and holds valid labels');
  else {
    lines.push(`${report.problems.length} problem(s):`);
    for (const p of report.problems.slice(0, maxProblems)) lines.push(`  [${p.problem}] ${p.message}`);
    if (report.problems.length > maxProblems)
      lines.push(`  … and ${report.problems.length - maxProblems} more`);
  }
  return lines.join('\n');
}
