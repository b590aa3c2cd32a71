#!/usr/bin/env node
// Benchmark of @cv/roi-pool beside torchvision on the CPU of this machine: roiPool and roiAlign (sampling
// ratio 2 as Faster R-CNN's MultiScaleRoIAlign, and torchvision's defaults: adaptive sampling) on features
// [2, 50, 50, 256] (an 800x800 image at stride 16) with 512 RoIs, output 7x7; forward alone, and forward +
// backward (the gradient with respect to the features for a fixed random upstream gradient).
//
// The RoIs (seeded, centres uniform in the image, sides log-uniform in 32..512 px, clipped to the image,
// batch index alternating) are written to a temporary JSON file that bench/roi_pool_torch.py reads, so both
// sides pool the same boxes. PyTorch runs first (torch.set_num_threads(cores)), then tfjs; 'wasm' and 'cpu'
// compute synchronously, so a call's time is the time of the computation. On 'wasm' and 'cpu' the ops run
// @cv/roi-pool's registered WebAssembly SIMD kernels (other backends take its tfjs-ops path). Results go to
// bench/results/roi-pool-<date>.json and a table to stdout.
//
//   node bench/roi-pool.mjs [--backends wasm] [--quick] [--reps 7] [--warmup 1] [--torch-reps 7] [--no-torch]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    rois: { type: 'string' },
    reps: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '1' },
    'torch-reps': { type: 'string', default: '7' },
  },
  'usage: node bench/roi-pool.mjs [--backends wasm[,cpu]] [--quick] [--rois 512] [--reps 7] [--warmup 1]\n' +
    '                               [--torch-reps 7] [--torch-threads N] [--python /usr/bin/python3] [--no-torch]\n' +
    '  --quick   128 RoIs, 3 repetitions',
);
const K = args.rois !== undefined ? int('rois', args.rois) : args.quick ? 128 : 512;
const REPS = Math.max(1, args.quick ? Math.min(3, int('reps', args.reps)) : int('reps', args.reps));
const WARMUP = int('warmup', args.warmup);
const TORCH_REPS = Math.max(
  1,
  args.quick ? Math.min(3, int('torch-reps', args['torch-reps'])) : int('torch-reps', args['torch-reps']),
);
const BACKENDS = list(args.backends);
const FEATURES = [2, 50, 50, 256];
const IMAGE = 800;
const SCALE = 1 / 16;
const OPS = [
  { name: 'roiPool', op: 'roi_pool', outputSize: [7, 7], spatialScale: SCALE },
  {
    name: 'roiAlign sr2',
    op: 'roi_align',
    outputSize: [7, 7],
    spatialScale: SCALE,
    samplingRatio: 2,
    aligned: false,
  },
  {
    name: 'roiAlign adaptive',
    op: 'roi_align',
    outputSize: [7, 7],
    spatialScale: SCALE,
    samplingRatio: -1,
    aligned: false,
  },
];
const MODES = ['forward', 'forwardBackward'];

const built = builtEntries('roi-pool');
const { tf, cv, pkg: rp } = await importBuilt(built);
const log = (m) => process.stderr.write(`${m}\n`);

/** mulberry32 */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRois(k) {
  const rand = rng(2026);
  const logMin = Math.log(32);
  const logMax = Math.log(512);
  const rois = [];
  for (let i = 0; i < k; i++) {
    const cx = rand() * IMAGE;
    const cy = rand() * IMAGE;
    const w = Math.exp(logMin + rand() * (logMax - logMin));
    const h = Math.exp(logMin + rand() * (logMax - logMin));
    const clip = (v) => Math.fround(Math.min(Math.max(v, 0), IMAGE));
    rois.push([i % 2, clip(cx - w / 2), clip(cy - h / 2), clip(cx + w / 2), clip(cy + h / 2)]);
  }
  return rois;
}

function runTorch(specFile) {
  if (args['no-torch']) return { skipped: '--no-torch' };
  const threads =
    args['torch-threads'] !== undefined ? int('torch-threads', args['torch-threads']) : os.cpus().length;
  const py = args.python;
  const argv = [
    '--rois',
    specFile,
    '--threads',
    String(threads),
    '--reps',
    String(TORCH_REPS),
    '--warmup',
    String(WARMUP),
  ];
  log(`PyTorch: ${py} bench/roi_pool_torch.py --threads ${threads} ...`);
  return runPython(py, path.join(here, 'roi_pool_torch.py'), argv, {
    hint: TORCHVISION_HINT,
    what: 'PyTorch/torchvision',
  });
}

function time(fn, warmup, n) {
  const once = () => {
    const t0 = performance.now();
    const out = fn();
    const ms = performance.now() - t0;
    tf.dispose(out);
    return ms;
  };
  for (let i = 0; i < warmup; i++) once();
  return Array.from({ length: n }, once);
}

async function benchBackend(backend, rois) {
  const cells = [];
  try {
    await cv.initBackend(backend, { log: false });
  } catch (err) {
    log(`${backend}: unavailable: ${err.message}`);
    for (const o of OPS)
      for (const mode of MODES) cells.push({ op: o.name, mode, backend, error: err.message });
    return cells;
  }
  const before = tf.memory().numTensors;
  const x = tf.randomNormal(FEATURES, 0, 1, 'float32', 1);
  const roisT = tf.tensor2d(rois);
  for (const o of OPS) {
    const f =
      o.op === 'roi_pool'
        ? (t) => rp.roiPool(t, roisT, o.outputSize, o.spatialScale)
        : (t) => rp.roiAlign(t, roisT, o.outputSize, o);
    const dy = tf.randomNormal([rois.length, ...o.outputSize, FEATURES[3]], 0, 1, 'float32', 2);
    const fns = { forward: () => f(x), forwardBackward: () => tf.grad(f)(x, dy) };
    for (const mode of MODES) {
      const cell = { op: o.name, mode, backend };
      cells.push(cell);
      const n0 = tf.memory().numTensors;
      try {
        const times = time(fns[mode], WARMUP, REPS);
        cell.ms = median(times);
        cell.times = times;
        log(`${backend} ${o.name} ${mode}: ${cell.ms.toFixed(1)} ms`);
      } catch (err) {
        cell.error = err.message.split('\n')[0];
        log(`${backend} ${o.name} ${mode}: failed: ${cell.error}`);
      }
      cell.leakedTensors = tf.memory().numTensors - n0;
    }
    dy.dispose();
  }
  tf.dispose([x, roisT]);
  const leaked = tf.memory().numTensors - before;
  if (leaked) log(`warning: ${leaked} tensors left after ${backend}`);
  return cells;
}

const loadAtStart = loadAverage(log);

const rois = makeRois(K);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'roi-bench-'));
const specFile = path.join(tmp, 'rois.json');
writeFileSync(specFile, JSON.stringify({ features: FEATURES, rois, ops: OPS }));
const torch = runTorch(specFile);
rmSync(tmp, { recursive: true, force: true });
if (torch.error)
  log(`\nPyTorch: ${torch.error}\n(the tfjs numbers are still measured; the ratio column stays empty)\n`);

const cells = [];
for (const b of BACKENDS) cells.push(...(await benchBackend(b, rois)));
for (const c of cells) {
  const t = torch.results?.[c.op]?.[c.mode]?.ms;
  if (t !== undefined) {
    c.torchMs = t;
    if (c.ms !== undefined) c.ratio = c.ms / t;
  }
}

const result = {
  date: new Date().toISOString(),
  command: `node bench/roi-pool.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(loadAtStart, { atEnd: true }),
  tfjs: tf.version_core,
  torch:
    torch.error || torch.skipped
      ? { error: torch.error ?? torch.skipped }
      : {
          version: torch.torch,
          torchvision: torch.torchvision,
          threads: torch.threads,
          reps: torch.reps,
          warmup: torch.warmup,
        },
  features: FEATURES,
  rois: { count: K, image: IMAGE, sides: '32..512 px, log-uniform', seed: 2026 },
  ops: OPS,
  reps: { warmup: WARMUP, reps: REPS },
  cells,
  torchResults: torch.results ?? null,
};
const outFile = writeResult(here, 'roi-pool', result, args.quick);

const header = ['op', 'mode', 'backend', 'ms', 'torch ms', 'ours/torch'];
const rows = cells.map((c) => [
  c.op,
  c.mode === 'forward' ? 'forward' : 'forward+backward',
  c.backend,
  c.error ? 'error' : f1(c.ms),
  f1(c.torchMs),
  c.ratio === undefined ? '' : `${c.ratio.toFixed(2)}x`,
]);
console.log(
  `\nroi-pool: features [${FEATURES}], ${K} RoIs, output 7x7, scale 1/16 | ${result.machine.cpu}, ${result.machine.cores} cores, Node ${process.version}, tfjs ${tf.version_core}`,
);
console.log(
  torch.error || torch.skipped
    ? `PyTorch: ${torch.error ?? torch.skipped}`
    : `torchvision ${torch.torchvision} (torch ${torch.torch}, ${torch.threads} threads, median of ${torch.reps}); tfjs: median of ${REPS} after ${WARMUP} warm-up`,
);
console.log(
  `load average ${loadAtStart} at start, ${result.machine.loadavg1mAtEnd} at end. ours/torch < 1 means faster than torchvision.\n`,
);
printTable(header, rows, (i) => i >= 3);
const notes = [...new Set(cells.filter((c) => c.error).map((c) => `${c.backend}: ${c.error}`))];
if (notes.length) console.log(`\n${notes.join('\n')}`);
console.log(`\nwritten: ${path.relative(root, outFile)}`);
const leaks = cells.filter((c) => c.leakedTensors);
if (leaks.length) {
  console.error(`tensor leak in ${leaks.map((c) => `${c.backend} ${c.op} ${c.mode}`).join(', ')}`);
  process.exitCode = 1;
}
