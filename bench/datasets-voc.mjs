#!/usr/bin/env node
// Benchmark of @cv/datasets-voc's data pipelines beside d2l's PyTorch ones on this machine's CPU, on the same
// generated files (a VOCdevkit of 375x500 images, VOC's typical size, and a banana set of 256x256 PNGs):
//   - VOC decode + crop + normalize: JPEG and palette-PNG label decoded, a 320x480 crop of both, the image
//     ImageNet-normalized, the label as class indices (PyTorch: read_image of the JPEG and the RGB label,
//     voc_rand_crop, Normalize, voc_label_indices), one image at a time; and the same from decoded images
//     (our bounded cache; d2l keeps all decoded tensors in memory);
//   - bananas: decode a 256x256 PNG to a float32 tensor;
//   - the loader's prefetch: loadDataVoc (batch 8, 320x480, cache off) feeding a simulated training step of
//     a fixed time, synchronous (a CPU/WASM step blocks the event loop) or asynchronous (a GPU step that
//     awaits its result), with prefetch 0, 1 and 2: the median time per step spent waiting for data.
// PyTorch (bench/datasets-voc_torch.py, torch.set_num_threads(cores)) runs first, then ours. Results go to
// bench/results/datasets-voc-<date>.json and a table to stdout.
//
//   node bench/datasets-voc.mjs [--quick] [--images 48] [--reps 5] [--backend wasm] [--no-torch]
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  benchArgs,
  f1,
  int,
  loadAverage,
  machine,
  median,
  printTable,
  runPython,
  TORCHVISION_HINT,
  writeResult,
} from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const pkgDir = path.join(root, 'packages', 'datasets-voc');
const pkgEntry = path.join(pkgDir, 'dist', 'index.node.js');
const coreEntry = path.join(root, 'packages', 'core', 'dist', 'index.node.js');

const args = benchArgs(
  {
    images: { type: 'string' },
    reps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'wasm' },
  },
  'usage: node bench/datasets-voc.mjs [--quick] [--images 48] [--reps 5] [--backend wasm|cpu]\n' +
    '                                   [--torch-threads N] [--python /usr/bin/python3] [--no-torch]\n' +
    '  --quick   16 images, 2 repetitions',
);
const N = args.images !== undefined ? int('images', args.images, 1) : args.quick ? 16 : 48;
const REPS = args.quick ? 2 : int('reps', args.reps, 1);
const CROP = [320, 480];
const BATCH = 8;
const log = (m) => console.log(m);

if (!existsSync(pkgEntry)) {
  console.error(
    `bench/datasets-voc: build the package first (cd packages/datasets-voc && pnpm build): ${pkgEntry}`,
  );
  process.exit(1);
}
// One tfjs-core for the package, @cv/core and us.
const tf = await import(
  pathToFileURL(createRequire(path.join(pkgDir, 'package.json')).resolve('@tensorflow/tfjs-core')).href
);
const cv = await import(pathToFileURL(coreEntry).href);
const dv = await import(pathToFileURL(pkgEntry).href);
await cv.initBackend(args.backend, { log: false });

const loadAtStart = loadAverage(log);
const dataDir = path.join(os.tmpdir(), `cv-bench-datasets-voc-${N}`);
const vocDir = path.join(dataDir, 'VOCdevkit', 'VOC2012');
const bananaDir = path.join(dataDir, 'banana-detection');
if (!existsSync(path.join(vocDir, 'ImageSets', 'Segmentation', 'val.txt'))) {
  mkdirSync(dataDir, { recursive: true });
  log(`generating ${N} VOC images (375x500) and ${N} banana images in ${dataDir} ...`);
  await dv.synthesizeVoc(dataDir, { train: N, val: BATCH, size: [375, 500], seed: 1 });
  await dv.synthesizeBananas(bananaDir, { train: N, val: 1, seed: 1 });
}

// PyTorch first.
let torch = { skipped: '--no-torch' };
if (!args['no-torch']) {
  const threads =
    args['torch-threads'] !== undefined ? int('torch-threads', args['torch-threads'], 1) : os.cpus().length;
  log(`PyTorch: ${args.python} bench/datasets-voc_torch.py --threads ${threads} ...`);
  torch = runPython(
    args.python,
    path.join(here, 'datasets-voc_torch.py'),
    [
      '--voc',
      vocDir,
      '--bananas',
      bananaDir,
      '--crop',
      CROP.join('x'),
      '--threads',
      String(threads),
      '--reps',
      String(REPS),
    ],
    { hint: TORCHVISION_HINT, what: 'PyTorch/torchvision' },
  );
  if (torch.error) log(`PyTorch: ${torch.error}`);
}

const ids = (await import('node:fs/promises')).readFile(
  path.join(vocDir, 'ImageSets/Segmentation/train.txt'),
  'utf8',
);
const trainIds = (await ids).trim().split('\n');
const rng = new cv.Rng(0);
const cropOf = (d) => ({
  top: rng.int(0, d.height - CROP[0]),
  left: rng.int(0, d.width - CROP[1]),
  height: CROP[0],
  width: CROP[1],
});
async function timePass(fn) {
  await fn(); // warm-up
  const times = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}
const ours = {};
ours.vocDecodeCropNormalize = await timePass(async () => {
  for (const id of trainIds) {
    const d = await dv.readVocSegExample(vocDir, id);
    tf.dispose(Object.values(dv.cropNormalize(d, cropOf(d))));
  }
});
const decoded = await Promise.all(trainIds.map((id) => dv.readVocSegExample(vocDir, id)));
ours.vocCropNormalize = await timePass(async () => {
  for (const d of decoded) tf.dispose(Object.values(dv.cropNormalize(d, cropOf(d))));
});
const platform = dv.getDataPlatform();
const bananaFiles = Array.from({ length: N }, (_, i) => `bananas_train/images/${i}.png`);
ours.bananasDecode = await timePass(async () => {
  for (const f of bananaFiles) {
    const px = await platform.decodeRgb(await platform.readBytes(bananaDir, f), f);
    tf.tensor3d(Float32Array.from(px.data), [px.height, px.width, 3], 'float32').dispose();
  }
});
// Concurrent decoding, as the loader reads a batch (sharp decodes on libuv's threads).
ours.vocDecodeCropNormalizeConcurrent8 = await timePass(async () => {
  for (let i = 0; i < trainIds.length; i += BATCH)
    await Promise.all(
      trainIds.slice(i, i + BATCH).map(async (id) => {
        const d = await dv.readVocSegExample(vocDir, id);
        tf.dispose(Object.values(dv.cropNormalize(d, cropOf(d))));
      }),
    );
});

// Prefetch: the wait for data of a training step.
const loadMsPerBatch = (ours.vocDecodeCropNormalizeConcurrent8 / trainIds.length) * BATCH;
const stepMs = Math.max(20, Math.round(loadMsPerBatch * 1.25));
function busy(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
const prefetchRows = [];
for (const mode of ['sync', 'async'])
  for (const prefetch of [0, 1, 2]) {
    const [train] = await dv.loadDataVoc(BATCH, CROP, { vocDir, seed: 0, prefetch, cacheBytes: 0 });
    const waits = [];
    const t0 = performance.now();
    let tWait = performance.now();
    for await (const b of train) {
      waits.push(performance.now() - tWait);
      tf.dispose([b.images, b.labels]);
      if (mode === 'sync') busy(stepMs);
      else await new Promise((r) => setTimeout(r, stepMs));
      tWait = performance.now();
    }
    const total = performance.now() - t0;
    // The first batch has nothing to overlap with: report the steady state (batches 2..).
    const steady = waits.slice(1);
    prefetchRows.push({
      mode,
      prefetch,
      stepMs,
      steps: waits.length,
      firstWaitMs: waits[0],
      medianWaitMs: median(steady),
      meanWaitMs: steady.reduce((s, v) => s + v, 0) / steady.length,
      epochMs: total,
    });
  }

const perS = (ms, n) => n / (ms / 1e3);
const rows = [
  [
    'VOC decode+crop+normalize 320x480',
    ours.vocDecodeCropNormalize,
    trainIds.length,
    torch.vocDecodeCropNormalize?.imagesPerS,
  ],
  [
    '  same, 8 concurrent (loader)',
    ours.vocDecodeCropNormalizeConcurrent8,
    trainIds.length,
    torch.vocDecodeCropNormalize?.imagesPerS,
  ],
  [
    'VOC crop+normalize (decoded)',
    ours.vocCropNormalize,
    trainIds.length,
    torch.vocCropNormalize?.imagesPerS,
  ],
  ['bananas decode 256x256', ours.bananasDecode, N, torch.bananasDecode?.imagesPerS],
].map(([name, ms, n, t]) => ({ name, oursImagesPerS: perS(ms, n), torchImagesPerS: t }));

const result = {
  benchmark: 'datasets-voc',
  date: new Date().toISOString(),
  command: `node bench/datasets-voc.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(loadAtStart, { atEnd: true }),
  backend: args.backend,
  images: { voc: trainIds.length, vocSize: [375, 500], crop: CROP, bananas: N },
  reps: REPS,
  torch,
  throughput: rows,
  prefetch: prefetchRows,
};
const file = writeResult(here, 'datasets-voc', result, args.quick);

console.log(
  `\nimages/s (median of ${REPS} passes; ${trainIds.length} VOC images 375x500, ${N} banana PNGs; backend ${args.backend})`,
);
printTable(
  ['pipeline', 'ours', 'PyTorch', 'ours/torch'],
  rows.map((r) => [
    r.name,
    f1(r.oursImagesPerS),
    r.torchImagesPerS === undefined ? '-' : f1(r.torchImagesPerS),
    r.torchImagesPerS === undefined ? '-' : f1(r.oursImagesPerS / r.torchImagesPerS),
  ]),
  (i) => i > 0,
);
console.log(
  `\nloader wait per step (batch ${BATCH}, ${CROP.join('x')}, cache off; step ${stepMs} ms ≈ 1.25 x the batch's load time)`,
);
printTable(
  ['step', 'prefetch', 'first wait ms', 'median wait ms', 'mean wait ms', 'epoch ms'],
  prefetchRows.map((r) => [
    r.mode,
    String(r.prefetch),
    f1(r.firstWaitMs),
    f1(r.medianWaitMs),
    f1(r.meanWaitMs),
    f1(r.epochMs),
  ]),
  (i) => i > 1,
);
console.log(`\nwrote ${path.relative(root, file)}`);
