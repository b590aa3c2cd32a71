#!/usr/bin/env node
// Benchmark of @cv/ssd's TinySSD training step beside the seed's PyTorch loop (bench/ssd_torch.py) on this
// machine: batch 32 of 256x256 images (random pixels 0..255, one box each), SGD lr 0.2, weight decay 5e-4, the
// seed's loss and d2l's anchor labelling. Reports examples/s, ours/torch, and the share of our step spent in
// multiboxTarget (CPU labelling). The WASM heap holds about 16 images of this training, so batch 32 runs as two
// accumulated chunks of 16 (`microBatch`, BatchNorm per chunk); data loading is measured by examples/ssd
// (trainSsd's profile), not here (the batch is in memory).
// `--workers N` (default 2 where the machine has 2 cores or more; 0 skips it) adds trainSsd with N worker
// threads (one WASM backend each, the chunks computed at the same time) on the same batch: its step times are
// the intervals between trainSsd's progress events after the warm-up steps.
//
//   node bench/ssd.mjs [--quick] [--batch 32] [--micro-batch 16] [--steps 3] [--warmup 1] [--workers 2] [--no-torch]
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  benchArgs,
  builtEntries,
  f1,
  importBuilt,
  int,
  loadAverage,
  machine,
  median,
  printTable,
  runPython,
  TORCH_HINT,
  writeResult,
} from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = benchArgs(
  {
    batch: { type: 'string', default: '32' },
    'micro-batch': { type: 'string', default: '16' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    workers: { type: 'string', default: os.cpus().length >= 2 ? '2' : '0' },
  },
  'usage: node bench/ssd.mjs [--quick] [--batch 32] [--micro-batch 16] [--steps 3] [--warmup 1] [--workers 2] [--no-torch]',
);
const built = builtEntries('ssd', 'node.js');
const BATCH = args.quick ? 8 : int('batch', args.batch, 1);
const MICRO = Math.min(BATCH, int('micro-batch', args['micro-batch'], 1));
const STEPS = args.quick ? 1 : int('steps', args.steps, 1);
const WARMUP = int('warmup', args.warmup);
const WORKERS = int('workers', args.workers);
if (WORKERS === 1) {
  console.error(
    'bench: --workers 1 is the single-thread row already; pass 2 or more (0 skips the workers row)',
  );
  process.exit(1);
}
const log = (m) => process.stderr.write(`${m}\n`);
const load = loadAverage(log);

let torch = { skipped: true };
if (!args['no-torch']) {
  log('PyTorch (seed loop) ...');
  torch = runPython(
    args.python,
    path.join(here, 'ssd_torch.py'),
    [
      '--batch',
      String(BATCH),
      '--steps',
      String(STEPS),
      '--warmup',
      String(WARMUP),
      '--threads',
      String(os.cpus().length),
    ],
    { hint: TORCH_HINT },
  );
}

const { tf, cv, pkg: ssd } = await importBuilt(built);
await cv.initBackend('wasm', { log: false });
log(`@cv/ssd on wasm, batch ${BATCH} (chunks of ${MICRO}) ...`);
const net = ssd.tinySsd();
const opt = new cv.SGD(Object.fromEntries(net.namedParameters()), { lr: 0.2, weightDecay: 5e-4 });
const x = tf.randomUniform([BATCH, 256, 256, 3], 0, 255, 'float32', 0);
const boxes = Array.from({ length: BATCH }, (_, i) => {
  const c = 0.25 + 0.5 * ((i * 0.618) % 1);
  return [[0, c - 0.15, c - 0.1, c + 0.15, c + 0.1]];
});
const y = tf.tensor3d(boxes);
const times = [];
let targetMs = 0;
let stepMs = 0;
let before = 0;
for (let i = 0; i < WARMUP + STEPS; i++) {
  const r = await ssd.trainStep(net, opt, x, y, { microBatch: MICRO });
  if (i === 0) before = tf.memory().numTensors; // after the first step: the model keeps its anchors
  if (i >= WARMUP) {
    times.push(r.stepMs);
    targetMs += r.targetMs;
    stepMs += r.stepMs;
  }
}
const leaked = tf.memory().numTensors - before;
const ms = median(times);
const ours = {
  backend: 'wasm',
  batch: BATCH,
  microBatch: MICRO,
  stepMs: ms,
  examplesPerSecond: (BATCH / ms) * 1000,
  targetShare: targetMs / stepMs,
  leakedTensors: leaked,
};
opt.dispose();
net.dispose();

// The same batch through trainSsd on worker threads (chunks of MICRO images: chunk i on worker i mod N).
let parallel = { skipped: true };
if (WORKERS >= 2) {
  log(`@cv/ssd trainSsd on ${WORKERS} wasm worker threads, batch ${BATCH} (chunks of ${MICRO}) ...`);
  const before2 = tf.memory().numTensors;
  const pnet = ssd.tinySsd();
  const at = [];
  const loader = {
    length: WARMUP + STEPS,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < WARMUP + STEPS; i++) yield { images: tf.clone(x), labels: tf.clone(y) };
    },
  };
  const r = await ssd.trainSsd(pnet, loader, {
    epochs: 1,
    lr: 0.2,
    weightDecay: 5e-4,
    microBatch: MICRO,
    workers: WORKERS,
    log,
    onProgress: (e) => {
      if (e.type === 'epochStart') at.push(0);
      if (e.type === 'step') at.push(e.seconds * 1000);
    },
  });
  pnet.dispose();
  const pms = median(at.slice(1 + WARMUP).map((t, i) => t - at[WARMUP + i]));
  parallel = {
    backend: 'wasm',
    workers: r.workers,
    batch: BATCH,
    microBatch: MICRO,
    stepMs: pms,
    examplesPerSecond: (BATCH / pms) * 1000,
    targetShare: r.profile.targetMs / r.profile.stepMs,
    leakedTensors: tf.memory().numTensors - before2,
  };
}
tf.dispose([x, y]);

const result = {
  date: new Date().toISOString(),
  bench: 'ssd',
  machine: machine(load, { atEnd: true }),
  config: { batch: BATCH, microBatch: MICRO, steps: STEPS, warmup: WARMUP, workers: WORKERS, image: 256 },
  ours,
  parallel,
  torch,
};
const outFile = writeResult(here, 'ssd', result, args.quick);
const chunks = `${BATCH} (${MICRO}x${Math.ceil(BATCH / MICRO)})`;
const vsTorch = (r) =>
  torch.examplesPerSecond ? `${(r.examplesPerSecond / torch.examplesPerSecond).toFixed(2)}x` : '-';
printTable(
  ['training step', 'batch', 'ms/step', 'examples/s', 'multiboxTarget share', 'ours/torch (examples/s)'],
  [
    [
      '@cv/ssd wasm, 1 thread',
      chunks,
      f1(ms),
      ours.examplesPerSecond.toFixed(2),
      `${(100 * ours.targetShare).toFixed(1)}%`,
      vsTorch(ours),
    ],
    ...(parallel.skipped
      ? []
      : [
          [
            `@cv/ssd wasm, ${parallel.workers} worker threads`,
            chunks,
            f1(parallel.stepMs),
            parallel.examplesPerSecond.toFixed(2),
            `${(100 * parallel.targetShare).toFixed(1)}%`,
            vsTorch(parallel),
          ],
        ]),
    [
      'PyTorch seed loop',
      String(BATCH),
      torch.stepMs ? f1(torch.stepMs) : (torch.error ?? 'skipped'),
      torch.examplesPerSecond ? torch.examplesPerSecond.toFixed(2) : '-',
      torch.targetShare !== undefined ? `${(100 * torch.targetShare).toFixed(1)}%` : '-',
      '1x',
    ],
  ],
  (i) => i >= 2,
);
console.log(`\nwritten: ${path.relative(root, outFile)}`);
if (leaked || parallel.leakedTensors) {
  console.error(`tensor leak: ${leaked} (1 thread), ${parallel.leakedTensors ?? 0} (workers)`);
  process.exitCode = 1;
}
