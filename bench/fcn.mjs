#!/usr/bin/env node
// Benchmark of @cv/fcn beside PyTorch on the CPU of this machine: training examples/s of the seed's FCN
// (ResNet-18 backbone, 21 classes, random weights) at 320x480, batch 8, with the seed's SGD(lr 1e-3,
// weight decay 1e-3) on random images and labels (255 on ~5% of the pixels), and the eval-mode prediction of
// one 320x480 image (forward + argmax). PyTorch runs first (bench/fcn_torch.py, torch.set_num_threads(cores)),
// then @cv/fcn on each backend (wasm by default: single-threaded SIMD in Node). A training step's time is
// trainStep's: forward, fcnLoss, gradients of every parameter, SGD update, reading the loss back. Results go to
// bench/results/fcn-<date>.json and a table to stdout. Slow: a step is tens of seconds on 2 cores.
//
// Our side accumulates the gradients of --micro-batch images at a time (default 2) before the one SGD step:
// tfjs keeps every backward temporary until the gradient call ends, about 1 GB per 320x480 image, and the
// WASM heap holds 4 GB ("memory access out of bounds" at a micro-batch of 8). PyTorch takes the batch whole.
//
//   node bench/fcn.mjs [--backends wasm] [--quick] [--batch 8] [--micro-batch 2] [--size 320x480] [--reps 3] [--warmup 1]
//                      [--torch-reps 3] [--torch-threads N] [--no-torch]
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  benchArgs,
  builtEntries,
  f1,
  importBuilt,
  int,
  list,
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

const args = benchArgs(
  {
    backends: { type: 'string', default: 'wasm' },
    batch: { type: 'string', default: '8' },
    'micro-batch': { type: 'string', default: '2' },
    size: { type: 'string', default: '320x480' },
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'torch-reps': { type: 'string', default: '3' },
  },
  'usage: node bench/fcn.mjs [--backends wasm[,cpu]] [--quick] [--batch 8] [--micro-batch 2] [--size 320x480] [--reps 3]\n' +
    '                          [--warmup 1] [--torch-reps 3] [--torch-threads N] [--python /usr/bin/python3] [--no-torch]\n' +
    '  --quick   one timed repetition after one warm-up step, on both sides',
);
const m = /^(\d+)x(\d+)$/.exec(args.size);
if (!m) throw new Error(`--size must be HxW, got ${args.size}`);
const [H, W] = [Number(m[1]), Number(m[2])];
const B = int('batch', args.batch, 1);
const MICRO = int('micro-batch', args['micro-batch'], 1);
const REPS = Math.max(1, args.quick ? 1 : int('reps', args.reps));
const WARMUP = args.quick ? 1 : int('warmup', args.warmup);
const TORCH_REPS = Math.max(1, args.quick ? 1 : int('torch-reps', args['torch-reps']));
const BACKENDS = list(args.backends);

const built = builtEntries('fcn');
const { tf, cv, pkg: fcn } = await importBuilt(built);
const log = (msg) => process.stderr.write(`${msg}\n`);
const loadAtStart = loadAverage(log);

function runTorch() {
  if (args['no-torch']) return { skipped: '--no-torch' };
  const threads =
    args['torch-threads'] !== undefined ? int('torch-threads', args['torch-threads']) : os.cpus().length;
  const argv = [
    '--batch',
    B,
    '--height',
    H,
    '--width',
    W,
    '--threads',
    threads,
    '--reps',
    TORCH_REPS,
    '--warmup',
    WARMUP,
  ].map(String);
  log(`PyTorch: ${args.python} bench/fcn_torch.py ${argv.join(' ')}`);
  return runPython(args.python, path.join(here, 'fcn_torch.py'), argv, {
    hint: TORCHVISION_HINT,
    what: 'PyTorch/torchvision',
  });
}

async function benchBackend(backend) {
  const cell = { backend };
  try {
    await cv.initBackend(backend, { log: false });
  } catch (err) {
    log(`${backend}: unavailable: ${err.message}`);
    return { ...cell, error: err.message };
  }
  const before = tf.memory().numTensors;
  const model = new fcn.FCN();
  const opt = new cv.SGD(Object.fromEntries(model.namedParameters()), { lr: 1e-3, weightDecay: 1e-3 });
  const x = tf.randomNormal([B, H, W, 3], 0, 1, 'float32', 1);
  const y = tf.tidy(() =>
    tf.where(
      tf.less(tf.randomUniform([B, H, W], 0, 1, 'float32', 3), 0.05),
      tf.fill([B, H, W], 255, 'int32'),
      tf.randomUniform([B, H, W], 0, 21, 'int32', 2),
    ),
  );
  try {
    const train = [];
    for (let i = 0; i < WARMUP + REPS; i++) {
      const t0 = performance.now();
      model.train();
      await fcn.trainStep(model, opt, x, y, { microBatch: MICRO });
      const ms = performance.now() - t0;
      log(`${backend} train step ${i < WARMUP ? '(warm-up) ' : ''}${(ms / 1000).toFixed(1)} s`);
      if (i >= WARMUP) train.push(ms);
    }
    const image = tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]);
    const pred = [];
    for (let i = 0; i < WARMUP + REPS; i++) {
      const t0 = performance.now();
      const p = fcn.predict(model, image, { input: 'normalized' });
      await p.data();
      p.dispose();
      if (i >= WARMUP) pred.push(performance.now() - t0);
    }
    image.dispose();
    cell.trainStepMs = median(train);
    cell.trainTimes = train;
    cell.trainExamplesPerSecond = B / (cell.trainStepMs / 1e3);
    cell.predictMs = median(pred);
    cell.predictTimes = pred;
  } catch (err) {
    cell.error = err.message;
    log(`${backend}: ${err.message}`);
  } finally {
    opt.dispose();
    model.dispose();
    tf.dispose([x, y]);
    cell.leakedTensors = tf.memory().numTensors - before;
  }
  return cell;
}

const torch = runTorch();
if (torch.error) log(`PyTorch: ${torch.error}`);
const cells = [];
for (const b of BACKENDS) cells.push(await benchBackend(b));
const result = {
  bench: 'fcn',
  date: new Date().toISOString(),
  command: `node bench/fcn.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(loadAtStart, { atEnd: true }),
  config: {
    batch: B,
    size: [H, W],
    numClasses: 21,
    optimizer: 'SGD(lr 1e-3, weight decay 1e-3)',
    reps: REPS,
    warmup: WARMUP,
  },
  torch,
  ours: cells,
};
const file = writeResult(here, 'fcn', result, args.quick);
const rows = [];
const tRow = (name, t) => [
  name,
  'PyTorch CPU',
  f1(t?.trainExamplesPerSecond),
  f1(t?.trainStepMs / 1e3),
  f1(t?.predictMs),
  '',
  '',
];
if (!torch.error && !torch.skipped) rows.push(tRow(`train ${H}x${W} b${B}`, torch));
for (const c of cells) {
  if (c.error) {
    rows.push([`train ${H}x${W} b${B}`, `@cv/fcn ${c.backend}`, 'error', '', '', '', '']);
    continue;
  }
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}` : '');
  rows.push([
    `train ${H}x${W} b${B}`,
    `@cv/fcn ${c.backend} (micro-batch ${MICRO})`,
    f1(c.trainExamplesPerSecond),
    f1(c.trainStepMs / 1e3),
    f1(c.predictMs),
    ratio(c.trainExamplesPerSecond, torch.trainExamplesPerSecond),
    ratio(c.predictMs, torch.predictMs),
  ]);
}
printTable(
  ['what', 'who', 'examples/s', 's/step', 'predict ms', 'ex/s ours/torch', 'predict ours/torch'],
  rows,
  (i) => i >= 2,
);
console.log(
  `machine: ${result.machine.cpu}, ${result.machine.cores} cores, load ${loadAtStart} → ${result.machine.loadavg1mAtEnd}`,
);
console.log(`wrote ${path.relative(root, file)}`);
