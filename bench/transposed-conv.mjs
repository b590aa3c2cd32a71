#!/usr/bin/env node
// Transposed-convolution benchmark: @cv/transposed-conv's convTranspose2d on tfjs 'wasm' (and optionally
// 'cpu') through @cv/core, beside PyTorch's torch.nn.ConvTranspose2d on the CPU of the same machine.
//
//   pnpm bench transposed-conv                  # builds the packages, then runs this file
//   node bench/transposed-conv.mjs [--backends wasm,cpu] [--quick] [--reps N] [--warmup N] [--methods auto,direct]
//                                  [--torch-reps N] [--torch-threads N] [--python /usr/bin/python3] [--no-torch]
//
// Cases (NHWC here, NCHW in bench/transposed_conv_torch.py):
//   fcn         the FCN head of d2l 13.11: 21 -> 21 channels, kernel 64, stride 32, padding 16, input [8, 10, 15, 21]
//               -> [8, 320, 480, 21] (the issue's goal: within 2x of PyTorch)
//   upsample2x  d2l's bilinear upsampling layer: 3 -> 3, kernel 4, stride 2, padding 1, on a 320x480 image
//   decoder     a decoder layer: 64 -> 32, kernel 3, stride 2, padding 1, output padding 1, [8, 32, 32, 64]
// Ops: forward (the layer's output) and forwardBackward (forward, then the gradients with respect to the input,
// the filter and the bias for a fixed upstream gradient dy, as PyTorch's y.backward(dy)).
// Methods: 'auto' (the default path: sub-pixel matrix product for stride > 1) and, with --methods, 'direct'
// (tfjs's conv2dTranspose, a convolution over a zero-inserted input: stride² times the work; far too slow for the
// FCN head, so never run there). Times are the median of --reps runs after --warmup. 'wasm' and 'cpu' compute
// synchronously, so a call's time is its duration. Results go to bench/results/transposed-conv-<date>.json.
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
const pkgDir = path.join(root, 'packages', 'transposed-conv');
const pkgEntry = path.join(pkgDir, 'dist', 'index.js');
const coreEntry = path.join(root, 'packages', 'core', 'dist', 'index.node.js');

const args = benchArgs(
  {
    backends: { type: 'string', default: 'wasm' },
    methods: { type: 'string', default: 'auto' },
    reps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'torch-reps': { type: 'string', default: '5' },
  },
  'usage: node bench/transposed-conv.mjs [--backends wasm,cpu] [--methods auto,direct] [--quick] [--reps N] [--warmup N]\n' +
    '                                   [--torch-reps N] [--torch-threads N] [--python /usr/bin/python3] [--no-torch]\n' +
    '  --quick   batch 2 instead of 8 (fcn, decoder), 2 reps',
);
const REPS = Math.max(1, args.quick ? 2 : int('reps', args.reps));
const WARMUP = int('warmup', args.warmup);
const TORCH_REPS = Math.max(1, args.quick ? 2 : int('torch-reps', args['torch-reps']));
const BACKENDS = list(args.backends);
const METHODS = list(args.methods);

// The same list as CASES in bench/transposed_conv_torch.py.
const CASES = [
  { name: 'fcn', batch: 8, quickBatch: 2, h: 10, w: 15, cin: 21, cout: 21, k: 64, s: 32, p: 16, op: 0 },
  { name: 'upsample2x', batch: 1, quickBatch: 1, h: 320, w: 480, cin: 3, cout: 3, k: 4, s: 2, p: 1, op: 0 },
  { name: 'decoder', batch: 8, quickBatch: 2, h: 32, w: 32, cin: 64, cout: 32, k: 3, s: 2, p: 1, op: 1 },
];
const batchOf = (c) => (args.quick ? c.quickBatch : c.batch);
/** Multiply-adds x 2 of the layer (every input pixel times every tap and channel pair). */
const gflop = (c) => (2 * batchOf(c) * c.h * c.w * c.cin * c.cout * c.k * c.k) / 1e9;

for (const f of [pkgEntry, coreEntry]) {
  if (!existsSync(f)) {
    console.error(
      `bench: ${path.relative(root, f)} is missing; build first (pnpm build, or pnpm bench which builds)`,
    );
    process.exit(1);
  }
}
// tfjs-core resolved from the package, so that it is the very module @cv/core and the package import.
const requirePkg = createRequire(path.join(pkgDir, 'package.json'));
const tf = requirePkg('@tensorflow/tfjs-core');
const cv = await import(pathToFileURL(coreEntry).href);
const tc = await import(pathToFileURL(pkgEntry).href);
const log = (m) => process.stderr.write(`${m}\n`);

function runTorch() {
  if (args['no-torch']) return { skipped: '--no-torch' };
  const threads =
    args['torch-threads'] !== undefined ? int('torch-threads', args['torch-threads']) : os.cpus().length;
  const script = path.join(here, 'transposed_conv_torch.py');
  const argv = [
    script,
    '--threads',
    String(threads),
    '--reps',
    String(TORCH_REPS),
    '--warmup',
    String(WARMUP),
  ];
  if (args.quick) argv.push('--quick');
  log(`PyTorch: ${args.python} ${argv.map((a) => path.relative(root, a) || a).join(' ')}`);
  return runPython(args.python, script, argv.slice(1), { hint: TORCH_HINT });
}

/** Times fn (which returns tensors) WARMUP + REPS times, disposing its outputs; returns the ms of each rep. */
function time(fn, reps = REPS, warmup = WARMUP) {
  const once = () => {
    const t0 = performance.now();
    const out = [fn()].flat();
    const ms = performance.now() - t0;
    tf.dispose(out);
    return ms;
  };
  for (let i = 0; i < warmup; i++) once();
  const times = [];
  for (let i = 0; i < reps; i++) times.push(once());
  return times;
}

async function benchBackend(backend) {
  const cells = [];
  let info;
  try {
    info = await cv.initBackend(backend, { log: false });
  } catch (err) {
    log(`${backend}: unavailable: ${err.message}`);
    return { info: { error: err.message }, cells };
  }
  for (const c of CASES) {
    const B = batchOf(c);
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([B, c.h, c.w, c.cin], 0, 1, 'float32', 1);
    const filter = tf.randomNormal([c.k, c.k, c.cout, c.cin], 0, 0.02, 'float32', 2);
    const bias = tf.randomNormal([c.cout], 0, 1, 'float32', 3);
    const [ho, wo] = tc.convTranspose2dOutputSize([c.h, c.w], c.k, {
      stride: c.s,
      padding: c.p,
      outputPadding: c.op,
    });
    const dy = tf.randomNormal([B, ho, wo, c.cout], 0, 1, 'float32', 4);
    for (const method of METHODS) {
      const opts = { stride: c.s, padding: c.p, outputPadding: c.op, method };
      const layer = (a, f, b) => tc.convTranspose2d(a, f, b, opts);
      const fns = {
        forward: () => layer(x, filter, bias),
        // PyTorch's y.backward(dy): the gradients with respect to x, filter and bias for the upstream gradient dy.
        forwardBackward: () => tf.grads((a, f, b) => layer(a, f, b))([x, filter, bias], dy),
      };
      for (const op of Object.keys(fns)) {
        const cell = {
          case: c.name,
          op,
          backend,
          method,
          batch: B,
          gflop: (op === 'forward' ? 1 : 3) * gflop(c),
        };
        cells.push(cell);
        if (method === 'direct' && c.name === 'fcn') {
          cell.error = 'skipped: the zero-inserted convolution does 1024x the work here';
          continue;
        }
        if (backend === 'cpu' && c.name === 'fcn') {
          cell.error =
            'skipped: the plain-JavaScript cpu backend needs minutes here (2 for forward + backward at batch 2)';
          continue;
        }
        const n0 = tf.memory().numTensors;
        try {
          const times = time(fns[op], backend === 'cpu' ? 1 : REPS, backend === 'cpu' ? 0 : WARMUP);
          cell.ms = median(times);
          cell.times = times;
          log(`${backend} ${method} ${c.name} ${op} batch ${B}: ${cell.ms.toFixed(1)} ms`);
        } catch (err) {
          cell.error = err.message.split('\n')[0];
          log(`${backend} ${method} ${c.name} ${op}: failed: ${cell.error}`);
        }
        cell.leakedTensors = tf.memory().numTensors - n0;
      }
    }
    tf.dispose([x, filter, bias, dy]);
    const leaked = tf.memory().numTensors - before;
    if (leaked) log(`  warning: ${leaked} tensors left after ${backend} ${c.name}`);
  }
  return { info: { tfBackend: info.tfBackend, details: info.details }, cells };
}

const loadAtStart = loadAverage(log);

// PyTorch first, so that it never shares the cores with tfjs.
const torch = runTorch();
if (torch.error)
  log(`\nPyTorch: ${torch.error}\n(the tfjs numbers are still measured; the ratio column stays empty)\n`);

const backends = {};
const cells = [];
for (const b of BACKENDS) {
  const r = await benchBackend(b);
  backends[b] = r.info;
  cells.push(...r.cells);
}
for (const c of cells) {
  const t = torch.results?.[c.case];
  const ms = t?.[c.op]?.ms;
  if (ms !== undefined && t.batch === c.batch) {
    c.torchMs = ms;
    if (c.ms !== undefined) c.ratio = c.ms / ms;
  }
}

const result = {
  date: new Date().toISOString(),
  command: `node bench/transposed-conv.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(loadAtStart, { atEnd: true }),
  tfjs: tf.version_core,
  torch:
    torch.error || torch.skipped
      ? { error: torch.error ?? torch.skipped }
      : { version: torch.torch, threads: torch.threads, reps: torch.reps, warmup: torch.warmup },
  cases: CASES.map((c) => ({
    ...c,
    batch: batchOf(c),
    x: [batchOf(c), c.h, c.w, c.cin],
    filter: [c.k, c.k, c.cout, c.cin],
  })),
  reps: { warmup: WARMUP, reps: REPS },
  backends,
  cells,
  torchResults: torch.results ?? torch,
};
const outFile = writeResult(here, 'transposed-conv', result, args.quick);

const header = ['case', 'op', 'backend', 'method', 'batch', 'GFLOP', 'ms', 'torch ms', 'ours/torch'];
const rows = cells.map((c) => [
  c.case,
  c.op,
  c.backend,
  c.method,
  String(c.batch),
  f1(c.gflop),
  c.error ? (c.error.startsWith('skipped') ? 'skipped' : 'error') : f1(c.ms),
  f1(c.torchMs),
  c.ratio === undefined ? '' : `${c.ratio.toFixed(2)}x`,
]);
console.log(
  `\nConvTranspose2d, float32 | ${result.machine.cpu}, ${result.machine.cores} cores, Node ${process.version}, tfjs ${tf.version_core}`,
);
console.log(
  torch.error || torch.skipped
    ? `PyTorch: ${torch.error ?? torch.skipped}`
    : `PyTorch ${torch.torch} (NCHW, ${torch.threads} threads, median of ${torch.reps}); tfjs median of ${REPS} after ${WARMUP} warm-up (cpu backend: 1 run)`,
);
console.log(
  `load average ${loadAtStart} at start, ${result.machine.loadavg1mAtEnd} at end. ours/torch < 1 means faster than PyTorch. GFLOP counts the layer's multiply-adds x 2 (x 3 for forward + backward).\n`,
);
printTable(header, rows, (i) => i >= 4);
const notes = [
  ...new Set(cells.filter((c) => c.error).map((c) => `${c.backend} ${c.method} ${c.case}: ${c.error}`)),
];
if (notes.length) console.log(`\n${notes.join('\n')}`);
console.log(`\nwritten: ${path.relative(root, outFile)}`);
const leaks = cells.filter((c) => c.leakedTensors);
if (leaks.length) {
  console.error(
    `tensor leak in ${leaks.map((c) => `${c.backend} ${c.method} ${c.case} ${c.op}`).join(', ')}`,
  );
  process.exitCode = 1;
}
