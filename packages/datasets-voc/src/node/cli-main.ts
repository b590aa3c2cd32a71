/**
 * The `cv-datasets-voc` command's logic (src/cli.ts runs it): generate a VOCdevkit or a banana set, or check a VOCdevkit.
 *
 *   cv-datasets-voc synth-voc --out data [--train 40] [--val 20] [--size 320x480] [--seed 0]
 *   cv-datasets-voc synth-bananas --out data/banana-detection [--train 1000] [--val 100] [--seed 0]
 *   cv-datasets-voc check data/VOCdevkit/VOC2012 [--quick] [--json]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@cv/core';
import { checkVoc, formatCheckVocReport } from '../check-voc.js';
import { synthesizeBananas } from './synthesize-bananas.js';
import { synthesizeVoc } from './synthesize-voc.js';

const USAGE = `Usage:
  cv-datasets-voc synth-voc --out <dir> [--train 40] [--val 20] [--size 320x480] [--seed 0]
      writes <dir>/VOCdevkit/VOC2012 (JPEGImages, SegmentationClass, Annotations, ImageSets)
  cv-datasets-voc synth-bananas --out <dir> [--train 1000] [--val 100] [--seed 0]
      writes <dir>/bananas_train and <dir>/bananas_val (d2l's banana-detection layout)
  cv-datasets-voc check <dir> [--quick] [--json]
      validates a VOCdevkit/VOC2012 folder (or a folder holding VOCdevkit/VOC2012); exit code 1 on problems`;

function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be an integer ≥ 0, got '${v}'`);
  return n;
}

function progress(label: string) {
  let last = 0;
  return (done: number, total: number) => {
    const now = Date.now();
    if (done === total || now - last > 1000) {
      last = now;
      process.stderr.write(`\r${label}: ${done}/${total}${done === total ? '\n' : ''}`);
    }
  };
}

async function startBackend() {
  // Decoding and encoding go through @cv/core's tensors: any backend does; cpu starts fastest.
  for (const b of ['cpu', 'wasm'] as const) {
    try {
      await initBackend(b, { log: false });
      return;
    } catch {}
  }
  await initBackend(undefined, { log: false });
}

export type CliMain = (argv: string[]) => Promise<number>;

/** Runs the `cv-datasets-voc` command with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      train: { type: 'string' },
      val: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  await startBackend();
  if (command === 'synth-voc' || command === 'synth-bananas') {
    const out = values.out ?? positionals[0];
    if (!out) throw new Error(`${command}: --out <dir> is required\n${USAGE}`);
    const seed = int('seed', values.seed, 0);
    if (command === 'synth-bananas') {
      const r = await synthesizeBananas(out, {
        train: int('train', values.train, 1000),
        val: int('val', values.val, 100),
        seed,
        onProgress: progress('bananas'),
      });
      console.log(
        `wrote ${r.train} training and ${r.val} validation images to ${join(out, 'bananas_train')} and ${join(out, 'bananas_val')}`,
      );
      return 0;
    }
    let size: [number, number] = [320, 480];
    if (values.size) {
      const m = /^(\d+)x(\d+)$/.exec(values.size);
      if (!m) throw new Error(`--size must be HEIGHTxWIDTH such as 320x480, got '${values.size}'`);
      size = [Number(m[1]), Number(m[2])];
    }
    const r = await synthesizeVoc(out, {
      train: int('train', values.train, 40),
      val: int('val', values.val, 20),
      size,
      seed,
      onProgress: progress('voc'),
    });
    console.log(
      `wrote ${r.train.length} train and ${r.val.length} val images (${r.objects} objects) to ${r.vocDir}`,
    );
    return 0;
  }
  if (command === 'check') {
    let dir = positionals[0] ?? values.out;
    if (!dir) throw new Error(`check: give the VOCdevkit/VOC2012 folder\n${USAGE}`);
    if (!existsSync(join(dir, 'ImageSets')) && existsSync(join(dir, 'VOCdevkit', 'VOC2012')))
      dir = join(dir, 'VOCdevkit', 'VOC2012');
    const report = await checkVoc(dir, {
      decode: !values.quick,
      onProgress: values.json ? undefined : progress('checked'),
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatCheckVocReport(report));
    return report.ok ? 0 : 1;
  }
  console.error(`unknown command '${command}'\n${USAGE}`);
  return 2;
}
