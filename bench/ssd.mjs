#!/usr/bin/env node
// Benchmark of @cv/ssd's TinySSD training step beside the seed's PyTorch loop (bench/ssd_torch.py) on this
// machine: batch 32 of 256x256 images (random pixels 0..255, one box each), SGD lr 0.2, weight decay 5e-4, the
// seed's loss and d2l's anchor labelling. Reports examples/s, ours/torch, and the share of our step spent in
// multiboxTarget (CPU labelling). The WASM heap holds about 16 images of this training, so batch 32 runs as two
// accumulated chunks of 16 (`microBatch`, BatchNorm per chunk); data loading is measured by examples/ssd
// (trainSsd's profile), not here (the batch is in memory).
//
//   node bench/ssd.mjs [--quick] [--batch 32] [--micro-batch 16] [--steps 3] [--warmup 1] [--no-torch]
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
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
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    batch: { type: 'string', default: '32' },
    'micro-batch': { type: 'string', default: '16' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'no-torch': { type: 'boolean', default: false },
    python: { type: 'string', default: '/usr/bin/python3' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: node bench/ssd.mjs [--quick] [--batch 32] [--micro-batch 16] [--steps 3] [--warmup 1] [--no-torch]',
  );
  process.exit(0);
}
const built = builtEntries('ssd');
const BATCH = args.quick ? 8 : int('batch', args.batch, 1);
const MICRO = Math.min(BATCH, int('micro-batch', args['micro-batch'], 1));
const STEPS = args.quick ? 1 : int('steps', args.steps, 1);
const WARMUP = int('warmup', args.warmup);
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
tf.dispose([x, y]);
opt.dispose();
net.dispose();

const result = {
  date: new Date().toISOString(),
  bench: 'ssd',
  machine: machine(load, { atEnd: true }),
  config: { batch: BATCH, microBatch: MICRO, steps: STEPS, warmup: WARMUP, image: 256 },
  ours,
  torch,
};
const outFile = writeResult(here, 'ssd', result, args.quick);
printTable(
  ['training step', 'batch', 'ms/step', 'examples/s', 'multiboxTarget share', 'ours/torch (examples/s)'],
  [
    [
      '@cv/ssd wasm',
      `${BATCH} (${MICRO}x${BATCH / MICRO})`,
      f1(ms),
      ours.examplesPerSecond.toFixed(2),
      `${(100 * ours.targetShare).toFixed(1)}%`,
      torch.examplesPerSecond ? `${(ours.examplesPerSecond / torch.examplesPerSecond).toFixed(2)}x` : '-',
    ],
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
if (leaked) {
  console.error(`tensor leak: ${leaked}`);
  process.exitCode = 1;
}
