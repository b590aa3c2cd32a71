#!/usr/bin/env node
// Convolution benchmark: tfjs 'wasm' and 'cpu' backends (through @cv/core) against PyTorch on the CPU.
//
//   pnpm bench                                  # builds @cv/core, then runs this file
//   node bench/conv2d.mjs [--backends wasm,cpu] [--quick] [--batch N] [--reps N] [--warmup N]
//                         [--cpu-batch N] [--cpu-reps N] [--cpu-warmup N] [--torch-reps N] [--torch-threads N]
//                         [--python /usr/bin/python3] [--no-torch]
//
// For each shape (NHWC, 3x3 kernel, stride 1, 'same') it times four things:
//   forward     tf.conv2d
//   inputGrad   the Conv2DBackpropInput kernel (dL/dx), through tf.engine().runKernel
//   filterGrad  the Conv2DBackpropFilter kernel (dL/dw), through tf.engine().runKernel
//   trainStep   tf.variableGrads of sum(conv2d(x, w)) w.r.t. both x and w (forward + both gradients)
// Times are the median of --reps runs after --warmup untimed runs (the 'cpu' backend is 20-40x slower:
// by default one run, no warm-up, and batch 4 (--cpu-batch): its filter gradient runs at about
// 0.01 GFLOP/s, so batch 32 would take about half an hour on a 2-core machine). PyTorch is measured at
// each batch used, so every ratio compares equal work. The 'wasm' and 'cpu' backends compute synchronously, so a kernel's
// time is the time of the call. bench/torch_conv2d.py times the same four things with PyTorch (NCHW,
// torch.set_num_threads(cores)). Results go to bench/results/conv2d-<date>.json and a table to stdout.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  benchArgs,
  f1,
  int,
  list,
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
const coreDir = path.join(root, 'packages', 'core');
const coreEntry = path.join(coreDir, 'dist', 'index.node.js');

const args = benchArgs(
  {
    backends: { type: 'string', default: 'wasm,cpu' },
    batch: { type: 'string' },
    reps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'cpu-batch': { type: 'string' },
    'cpu-reps': { type: 'string', default: '1' },
    'cpu-warmup': { type: 'string', default: '0' },
    'torch-reps': { type: 'string', default: '7' },
  },
  'usage: node bench/conv2d.mjs [--backends wasm,cpu] [--quick] [--batch N] [--reps N] [--warmup N]\n' +
    '                             [--cpu-batch N] [--cpu-reps N] [--cpu-warmup N] [--torch-reps N] [--torch-threads N]\n' +
    '                             [--python /usr/bin/python3] [--no-torch]\n' +
    '  --quick   batch 4 instead of 32\n' +
    '  --cpu-batch N   batch of the cpu backend (default 4, or --batch when given, or 4 with --quick)',
);
const BATCH = args.batch !== undefined ? int('batch', args.batch) : args.quick ? 4 : 32;
const CPU_BATCH = args['cpu-batch'] !== undefined ? int('cpu-batch', args['cpu-batch']) : Math.min(BATCH, 4);
const batchOf = (backend) => (backend === 'cpu' ? CPU_BATCH : BATCH);
const BACKENDS = list(args.backends);
const reps = (b) => Math.max(1, b === 'cpu' ? int('cpu-reps', args['cpu-reps']) : int('reps', args.reps));
const warmups = (b) => (b === 'cpu' ? int('cpu-warmup', args['cpu-warmup']) : int('warmup', args.warmup));

// The same list as SHAPES in bench/torch_conv2d.py (there NCHW).
const SHAPES = [
  { name: '256x256x3->16', h: 256, w: 256, cin: 3, cout: 16 },
  { name: '32x32x64->128', h: 32, w: 32, cin: 64, cout: 128 },
];
const K = 3;
const OPS = ['forward', 'inputGrad', 'filterGrad', 'trainStep'];
// Kernels each op needs beyond Conv2D; a missing one is reported as "not registered", not thrown.
const NEEDS = {
  forward: ['Conv2D'],
  inputGrad: ['Conv2DBackpropInput'],
  filterGrad: ['Conv2DBackpropFilter'],
  trainStep: ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'],
};
/** Multiply-adds x 2 of one 'same' 3x3 convolution; each gradient is a convolution of the same size. */
const convFlops = (s, batch) => 2 * batch * s.h * s.w * s.cout * s.cin * K * K;
const opFlops = (op, s, batch) => (op === 'trainStep' ? 3 : 1) * convFlops(s, batch);

// tfjs-core and @cv/core resolved from packages/core, so both use the one tfjs-core (one engine, one
// kernel registry). tfjs-core's Node main is CommonJS: require() gives the very module @cv/core imports.
if (!existsSync(coreEntry)) {
  console.error(
    `bench: ${path.relative(root, coreEntry)} is missing; build it first: cd packages/core && pnpm build`,
  );
  process.exit(1);
}
const requireCore = createRequire(path.join(coreDir, 'package.json'));
const tf = requireCore('@tensorflow/tfjs-core');
const cv = await import(pathToFileURL(coreEntry).href);
const log = (m) => process.stderr.write(`${m}\n`);

function runTorch(BATCH) {
  if (args['no-torch']) return { skipped: '--no-torch' };
  const script = path.join(here, 'torch_conv2d.py');
  const threads =
    args['torch-threads'] !== undefined ? int('torch-threads', args['torch-threads']) : os.cpus().length;
  const py = args.python;
  log(`PyTorch: ${py} bench/torch_conv2d.py --batch ${BATCH} --threads ${threads} ...`);
  return runPython(
    py,
    script,
    [
      '--batch',
      String(BATCH),
      '--threads',
      String(threads),
      '--reps',
      String(int('torch-reps', args['torch-reps'])),
    ],
    { hint: TORCH_HINT },
  );
}

/** Times fn (which returns tensors) warmup + reps times, disposing its outputs; returns the ms of each rep. */
async function time(backend, fn, warmup, n) {
  const once = async () => {
    const t0 = performance.now();
    const out = [fn()].flat();
    // 'wasm' and 'cpu' run kernels synchronously; any other backend is timed up to its first download.
    if (backend !== 'wasm' && backend !== 'cpu') await out[0].data();
    const ms = performance.now() - t0;
    tf.dispose(out);
    return ms;
  };
  for (let i = 0; i < warmup; i++) await once();
  const times = [];
  for (let i = 0; i < n; i++) times.push(await once());
  return times;
}

async function benchBackend(backend) {
  const BATCH = batchOf(backend);
  const cells = [];
  let info;
  try {
    info = await cv.initBackend(backend, { log: false });
  } catch (err) {
    log(`${backend}: unavailable: ${err.message}`);
    for (const s of SHAPES)
      for (const op of OPS)
        cells.push({
          op,
          shape: s.name,
          backend,
          batch: BATCH,
          gflop: opFlops(op, s, BATCH) / 1e9,
          error: `backend unavailable: ${err.message}`,
        });
    return { info: { error: err.message }, cells };
  }
  const conv = {
    strides: [1, 1],
    pad: 'same',
    dataFormat: 'NHWC',
    dilations: [1, 1],
    dimRoundingMode: undefined,
  };
  for (const s of SHAPES) {
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([BATCH, s.h, s.w, s.cin], 0, 1, 'float32', 1);
    const w = tf.randomNormal([K, K, s.cin, s.cout], 0, 0.1, 'float32', 2);
    const dy = tf.randomNormal([BATCH, s.h, s.w, s.cout], 0, 1, 'float32', 3);
    const xv = tf.variable(x, true, `bench_x_${backend}_${s.name}`);
    const wv = tf.variable(w, true, `bench_w_${backend}_${s.name}`);
    const fns = {
      forward: () => tf.conv2d(x, w, 1, 'same'),
      inputGrad: () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...conv, inputShape: x.shape }),
      filterGrad: () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: w.shape }),
      trainStep: () => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.conv2d(xv, wv, 1, 'same')), [xv, wv]);
        return [value, ...Object.values(grads)];
      },
    };
    for (const op of OPS) {
      const cell = { op, shape: s.name, backend, batch: BATCH, gflop: opFlops(op, s, BATCH) / 1e9 };
      cells.push(cell);
      const missing = NEEDS[op].filter((k) => tf.getKernel(k, tf.getBackend()) === undefined);
      if (missing.length) {
        cell.error = `not registered: ${missing.join(', ')}`;
        log(`${backend} ${op} ${s.name}: ${cell.error}`);
        continue;
      }
      const n0 = tf.memory().numTensors;
      try {
        const times = await time(backend, fns[op], warmups(backend), reps(backend));
        cell.ms = median(times);
        cell.times = times;
        cell.gflops = opFlops(op, s, BATCH) / cell.ms / 1e6;
        log(`${backend} ${op} ${s.name} batch ${BATCH}: ${cell.ms.toFixed(1)} ms (${times.length} rep)`);
      } catch (err) {
        cell.error = err.message.split('\n')[0];
        log(`${backend} ${op} ${s.name}: failed: ${cell.error}`);
      }
      cell.leakedTensors = tf.memory().numTensors - n0;
      if (cell.leakedTensors)
        log(`  warning: ${cell.leakedTensors} tensors leaked by ${backend} ${op} ${s.name}`);
    }
    tf.dispose([x, w, dy, xv, wv]);
    const leaked = tf.memory().numTensors - before;
    if (leaked) log(`  warning: ${leaked} tensors left after ${backend} ${s.name}`);
  }
  return { info: { tfBackend: info.tfBackend, details: info.details }, cells };
}

// Other processes on the machine skew both sides; the 1-minute load average is recorded with the results.
const loadAtStart = loadAverage(log);

// PyTorch first, so that it never shares the two cores with tfjs; once per batch size in use.
const torchByBatch = {};
for (const b of new Set(BACKENDS.map(batchOf))) torchByBatch[b] = runTorch(b);
const torch = Object.values(torchByBatch)[0] ?? { skipped: 'no backend' };
if (torch.error)
  log(`\nPyTorch: ${torch.error}\n(the tfjs numbers are still measured; the ratio column stays empty)\n`);
else log(`PyTorch ${torch.torch}, ${torch.threads} threads`);

const backends = {};
const cells = [];
for (const b of BACKENDS) {
  const r = await benchBackend(b);
  backends[b] = r.info;
  cells.push(...r.cells);
}
for (const c of cells) {
  const t = torchByBatch[c.batch]?.results?.[c.shape]?.[c.op]?.ms;
  if (t !== undefined) {
    c.torchMs = t;
    c.torchGflops = (c.gflop * 1e3) / t;
    if (c.ms !== undefined) c.ratio = c.ms / t;
  }
}

const result = {
  date: new Date().toISOString(),
  command: `node bench/conv2d.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(loadAtStart),
  tfjs: tf.version_core,
  torch:
    torch.error || torch.skipped
      ? { error: torch.error ?? torch.skipped }
      : {
          version: torch.torch,
          threads: torch.threads,
          batches: Object.keys(torchByBatch).map(Number),
          reps: torch.reps,
          warmup: torch.warmup,
        },
  batch: Object.fromEntries(BACKENDS.map((b) => [b, batchOf(b)])),
  shapes: SHAPES.map((s) => ({
    ...s,
    x: ['batch', s.h, s.w, s.cin],
    filter: [K, K, s.cin, s.cout],
    stride: 1,
    pad: 'same',
  })),
  reps: Object.fromEntries(BACKENDS.map((b) => [b, { warmup: warmups(b), reps: reps(b) }])),
  backends,
  cells,
  torchResults: Object.fromEntries(Object.entries(torchByBatch).map(([b, t]) => [b, t.results ?? t])),
};
const outFile = writeResult(here, 'conv2d', result, args.quick);

// The table.
const header = [
  'op',
  'shape (NHWC in->out)',
  'backend',
  'batch',
  'ms',
  'GFLOP/s',
  'torch ms',
  'torch GFLOP/s',
  'ours/torch',
];
const rows = cells.map((c) => [
  c.op,
  c.shape,
  c.backend,
  String(c.batch),
  c.error ? (c.error.startsWith('not registered') ? 'not registered' : 'error') : f1(c.ms),
  f1(c.gflops),
  f1(c.torchMs),
  f1(c.torchGflops),
  c.ratio === undefined ? '' : `${c.ratio.toFixed(2)}x`,
]);
console.log(
  `\nconv2d, 3x3 stride 1 'same', float32 | ${result.machine.cpu}, ${result.machine.cores} cores, Node ${process.version}, tfjs ${tf.version_core}`,
);
console.log(
  torch.error || torch.skipped
    ? `PyTorch: ${torch.error ?? torch.skipped}`
    : `PyTorch ${torch.torch} (NCHW, ${torch.threads} threads, median of ${torch.reps}); tfjs: ${BACKENDS.map((b) => `${b} median of ${reps(b)} after ${warmups(b)} warm-up`).join(', ')}`,
);
console.log(
  `load average at start ${loadAtStart}. ours/torch < 1 means faster than PyTorch. trainStep = forward + input and filter gradients (3 convolutions of FLOPs).\n`,
);
printTable(header, rows, (i) => i >= 3);
const notes = [...new Set(cells.filter((c) => c.error).map((c) => `${c.backend}: ${c.error}`))];
if (notes.length) console.log(`\n${notes.join('\n')}`);
console.log(`\nwritten: ${path.relative(root, outFile)}`);
const leaks = cells.filter((c) => c.leakedTensors);
if (leaks.length) {
  console.error(`tensor leak in ${leaks.map((c) => `${c.backend} ${c.op} ${c.shape}`).join(', ')}`);
  process.exitCode = 1;
}
