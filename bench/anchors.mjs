#!/usr/bin/env node
// @cv/anchors benchmark: multiboxTarget, nms and multiboxDetection against d2l's PyTorch functions (Python
// loops over tensors) and torchvision.ops.nms (C++), on the same inputs and the same machine.
//
//   pnpm bench anchors                 # builds the packages, then runs this file
//   node bench/anchors.mjs [--quick] [--backend wasm|cpu] [--reps N] [--torch-reps N] [--torch-budget S]
//                          [--torch-threads N] [--python /usr/bin/python3] [--no-torch] [--torch-device cpu|cuda]
//
// Inputs (made here with a seeded mulberry32 and written to a temporary folder that bench/anchors_torch.py
// reads, so both sides see the same bytes):
//   multiboxTarget     TinySSD's 5,444 anchors (d2l's sizes and ratios on 32², 16², 8², 4², 1² maps) and a
//                      batch of 32 label sets with 1-10 objects each, padded to 10 rows with class -1
//                      (d2l is timed image by image on each image's real rows: its code has no padding rule)
//   nms                5,444 and 20,000 boxes, threshold 0.5, two layouts: 'uniform' (centres uniform in
//                      the unit square, sides 0.02-0.3: many boxes survive) and 'clustered' (jittered around
//                      30 objects, as a detector's raw output: most boxes are suppressed)
//   multiboxDetection  batch 32 x 5,444 anchors, 1 class + background (TinySSD on bananas): softmax of
//                      N(0, 2²) logits, offsets N(0, 0.5²)
// Our side is timed from tensors in to tensors out (one read of each input, the typed-array work, the output
// tensors); it is the median of --reps runs after a warm-up (at least 3 runs and 300 ms). Kept counts and
// assignment counts are compared with PyTorch's, so a ratio is never reported for different work.
// --quick: fewer reps and the 5,444-box NMS cases only.
//
// On a machine without node_modules (a GPU box with only Python), bundle this script with esbuild from an
// entry that sets globalThis.__cvBenchDeps = { tf, anchors, cv: { Rng, initBackend }, here } (tfjs-core with
// tfjs-backend-cpu, packages/anchors/src/index.ts, packages/core/src/data/rng.ts, `here` = this folder) and
// then imports this file; run it with --backend cpu (and --python, --torch-device cuda as needed).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  benchArgs,
  int as intArg,
  loadAverage,
  machine,
  printTable,
  runPython,
  TORCHVISION_HINT,
  writeResult,
} from './lib.mjs';

const here = globalThis.__cvBenchDeps?.here ?? path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const pkgDir = path.join(root, 'packages', 'anchors');
const args = benchArgs(
  {
    backend: { type: 'string', default: 'wasm' },
    reps: { type: 'string' },
    'torch-reps': { type: 'string' },
    'torch-budget': { type: 'string' },
    'torch-device': { type: 'string', default: 'cpu' },
  },
  'usage: node bench/anchors.mjs [--quick] [--backend wasm|cpu] [--reps N] [--torch-reps N] [--torch-budget S]\n' +
    '                              [--torch-threads N] [--python /usr/bin/python3] [--no-torch] [--torch-device cpu|cuda]',
);
const int = (name, v) => intArg(name, v, 1);
const REPS = args.reps ? int('reps', args.reps) : args.quick ? 3 : 9;
const TORCH_REPS = args['torch-reps'] ? int('torch-reps', args['torch-reps']) : args.quick ? 2 : 5;
const TORCH_BUDGET = Number(args['torch-budget'] ?? (args.quick ? 1 : 4));
const THREADS = args['torch-threads'] ? int('torch-threads', args['torch-threads']) : os.cpus().length;
const log = (...a) => console.error(...a);

// One tfjs-core for the package, @cv/core and this script.
// A bundled copy (for a machine without node_modules) injects its modules as globalThis.__cvBenchDeps.
const injected = globalThis.__cvBenchDeps;
const require = createRequire(path.join(pkgDir, 'package.json'));
const tf = injected?.tf ?? (await import(pathToFileURL(require.resolve('@tensorflow/tfjs-core')).href));
const cv =
  injected?.cv ??
  (await import(pathToFileURL(path.join(root, 'packages', 'core', 'dist', 'index.node.js')).href));
const anchorsPkg =
  injected?.anchors ?? (await import(pathToFileURL(path.join(pkgDir, 'dist', 'index.js')).href));
const { multiboxPrior, multiboxTarget, nms, multiboxDetection } = anchorsPkg;

// ---- inputs ----
const rng = new cv.Rng(20261126);
const u = () => rng.next();
const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
const BATCH = 32;
const MAX_OBJECTS = 10;

await cv.initBackend(args.backend, { log: false });
const SIZES = [
  [0.2, 0.272],
  [0.37, 0.447],
  [0.54, 0.619],
  [0.71, 0.79],
  [0.88, 0.961],
];
const anchorParts = [32, 16, 8, 4, 1].map((s, i) =>
  tf.tidy(() => multiboxPrior(tf.zeros([1, s, s, 1]), SIZES[i], [1, 2, 0.5])),
);
const anchors = tf.concat(anchorParts, 1);
tf.dispose(anchorParts);
const N = anchors.shape[1];

const labels = new Float32Array(BATCH * MAX_OBJECTS * 5).fill(-1);
const objectCounts = [];
for (let b = 0; b < BATCH; b++) {
  const k = 1 + (b % MAX_OBJECTS);
  objectCounts.push(k);
  for (let r = 0; r < k; r++) {
    const w = 0.1 + 0.4 * u();
    const h = 0.1 + 0.4 * u();
    const x = u() * (1 - w);
    const y = u() * (1 - h);
    labels.set([Math.floor(u() * 3), x, y, x + w, y + h], (b * MAX_OBJECTS + r) * 5);
  }
}

function uniformBoxes(n) {
  const out = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const w = 0.02 + 0.28 * u();
    const h = 0.02 + 0.28 * u();
    const cx = u();
    const cy = u();
    out.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], i * 4);
  }
  return out;
}
function clusteredBoxes(n, objects = 30) {
  const objs = uniformBoxes(objects);
  const out = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const o = Math.floor(u() * objects) * 4;
    const w = objs[o + 2] - objs[o];
    const h = objs[o + 3] - objs[o + 1];
    const x1 = objs[o] + (u() - 0.5) * 0.3 * w;
    const y1 = objs[o + 1] + (u() - 0.5) * 0.3 * h;
    const x2 = objs[o + 2] + (u() - 0.5) * 0.3 * w;
    const y2 = objs[o + 3] + (u() - 0.5) * 0.3 * h;
    out.set([Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)], i * 4);
  }
  return out;
}
const scoresOf = (n) => Float32Array.from({ length: n }, u);
const NMS_SIZES = args.quick ? [5444] : [5444, 20000];
const nmsCases = [];
for (const layout of ['uniform', 'clustered'])
  for (const n of NMS_SIZES)
    nmsCases.push({
      name: `${layout}-${n}`,
      layout,
      n,
      boxes: layout === 'uniform' ? uniformBoxes(n) : clusteredBoxes(n),
      scores: scoresOf(n),
    });

const clsProbs = new Float32Array(BATCH * 2 * N);
for (let b = 0; b < BATCH; b++)
  for (let i = 0; i < N; i++) {
    const l0 = 2 * normal();
    const l1 = 2 * normal();
    const m = Math.max(l0, l1);
    const e0 = Math.exp(l0 - m);
    const e1 = Math.exp(l1 - m);
    clsProbs[b * 2 * N + i] = e0 / (e0 + e1);
    clsProbs[b * 2 * N + N + i] = e1 / (e0 + e1);
  }
const offsetPreds = Float32Array.from({ length: BATCH * 4 * N }, () => 0.5 * normal());
const IOU = 0.5;

// ---- the files PyTorch reads ----
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cv-anchors-bench-'));
const arrays = {};
const save = (name, data, shape) => {
  writeFileSync(
    path.join(dataDir, `${name}.bin`),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  );
  arrays[name] = { dtype: data instanceof Int32Array ? '<i4' : '<f4', shape };
};
save('anchors', anchors.dataSync(), [1, N, 4]);
save('labels', labels, [BATCH, MAX_OBJECTS, 5]);
for (const c of nmsCases) {
  save(`${c.name}_boxes`, c.boxes, [c.n, 4]);
  save(`${c.name}_scores`, c.scores, [c.n]);
}
save('clsProbs', clsProbs, [BATCH, 2, N]);
save('offsetPreds', offsetPreds, [BATCH, 4 * N]);
writeFileSync(
  path.join(dataDir, 'meta.json'),
  JSON.stringify({ arrays, nms: nmsCases.map((c) => c.name), iouThreshold: IOU }),
);

const loadAtStart = loadAverage(log, { cores: false });

// ---- PyTorch first, so that it never shares the cores with us ----
function runTorch() {
  if (args['no-torch']) return { skipped: '--no-torch' };
  const script = path.join(here, 'anchors_torch.py');
  log(`PyTorch: ${args.python} bench/anchors_torch.py --threads ${THREADS} --reps ${TORCH_REPS} ...`);
  return runPython(
    args.python,
    script,
    [
      '--data',
      dataDir,
      '--threads',
      String(THREADS),
      '--reps',
      String(TORCH_REPS),
      '--budget',
      String(TORCH_BUDGET),
      '--device',
      args['torch-device'],
    ],
    { hint: TORCHVISION_HINT, inheritStderr: true },
  );
}
const torch = runTorch();
rmSync(dataDir, { recursive: true, force: true });
if (torch.error)
  log(`PyTorch: ${torch.error} (our numbers are still measured; the ratio columns stay empty)`);

// ---- ours ----
/** `fn` returns its output tensors; `summarize` (untimed) turns them into a number to compare. */
function time(fn, summarize) {
  const once = () => {
    const t0 = performance.now();
    const out = fn();
    const ms = performance.now() - t0;
    const summary = summarize(out);
    tf.dispose(out);
    return { ms, summary };
  };
  // Warm-up: at least 3 calls and 300 ms, so that V8 has optimized the hot loops (a training loop calls
  // these functions thousands of times).
  const w0 = performance.now();
  for (let k = 0; k < 3 || performance.now() - w0 < 300; k++) once();
  const times = [];
  let summary;
  for (let i = 0; i < REPS; i++) {
    const r = once();
    times.push(r.ms);
    summary = r.summary;
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { ms: sorted[Math.floor(sorted.length / 2)], times, summary };
}

const rows = [];
const before = tf.memory().numTensors;
{
  const lab = tf.tensor3d(labels, [BATCH, MAX_OBJECTS, 5]);
  const r = time(
    () => {
      const t = multiboxTarget(anchors, lab);
      return [t.bboxOffset, t.bboxMask, t.classLabels];
    },
    ([, mask]) => mask.dataSync().reduce((a, v) => a + v, 0) / 4,
  );
  lab.dispose();
  const ref = torch.results?.multiboxTarget;
  rows.push({
    op: 'multiboxTarget',
    input: `batch ${BATCH} x ${N} anchors, 1-${MAX_OBJECTS} objects`,
    ours: r,
    d2l: ref?.d2l,
    same: ref ? ref.assigned === r.summary : undefined,
    check: `${r.summary} assigned anchors${ref ? ` (d2l ${ref.assigned})` : ''}`,
  });
  log(`ours multiboxTarget: ${r.ms.toFixed(2)} ms`);
}
for (const c of nmsCases) {
  const b = tf.tensor2d(c.boxes, [c.n, 4]);
  const s = tf.tensor1d(c.scores);
  const r = time(
    () => [nms(b, s, IOU)],
    ([k]) => k.shape[0],
  );
  tf.dispose([b, s]);
  const ref = torch.results?.[`nms:${c.name}`];
  rows.push({
    op: 'nms',
    input: `${c.n} boxes, ${c.layout}`,
    ours: r,
    d2l: ref?.d2l,
    tv: ref?.torchvision,
    same: ref ? (ref.torchvision?.kept ?? r.summary) === r.summary && ref.d2l.kept === r.summary : undefined,
    check: `kept ${r.summary}${ref ? ` (${ref.torchvision ? `torchvision ${ref.torchvision.kept}, ` : ''}d2l ${ref.d2l.kept})` : ''}`,
  });
  log(`ours nms ${c.name}: ${r.ms.toFixed(2)} ms, kept ${r.summary}`);
}
{
  const p = tf.tensor3d(clsProbs, [BATCH, 2, N]);
  const o = tf.tensor2d(offsetPreds, [BATCH, 4 * N]);
  const r = time(
    () => [multiboxDetection(p, o, anchors)],
    ([d]) => {
      const v = d.dataSync();
      let positives = 0;
      for (let i = 0; i < v.length; i += 6) if (v[i] >= 0) positives++;
      return positives;
    },
  );
  tf.dispose([p, o]);
  const ref = torch.results?.multiboxDetection;
  rows.push({
    op: 'multiboxDetection',
    input: `batch ${BATCH} x ${N} anchors, 2 classes`,
    ours: r,
    d2l: ref?.d2l,
    same: ref ? ref.positives === r.summary : undefined,
    check: `${r.summary} detections${ref ? ` (d2l ${ref.positives})` : ''}`,
  });
  log(`ours multiboxDetection: ${r.ms.toFixed(2)} ms`);
}
const leaked = tf.memory().numTensors - before;
anchors.dispose();

const result = {
  date: new Date().toISOString(),
  command: `node bench/anchors.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(loadAtStart),
  tfjs: tf.version_core,
  backend: args.backend,
  reps: REPS,
  torch:
    torch.error || torch.skipped ? { error: torch.error ?? torch.skipped } : { ...torch, results: undefined },
  objectsPerImage: objectCounts,
  rows: rows.map((r) => ({
    op: r.op,
    input: r.input,
    ms: r.ours.ms,
    times: r.ours.times,
    d2lMs: r.d2l?.ms,
    torchvisionMs: r.tv?.ms,
    oursOverD2l: r.d2l ? r.ours.ms / r.d2l.ms : undefined,
    oursOverTorchvision: r.tv ? r.ours.ms / r.tv.ms : undefined,
    sameResult: r.same,
    check: r.check,
  })),
  torchResults: torch.results,
  leakedTensors: leaked,
};
const outFile = writeResult(here, 'anchors', result, args.quick);

const f = (v) => (v === undefined ? '' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const ratio = (v) => (v === undefined ? '' : v >= 0.1 ? `${v.toFixed(2)}x` : `${v.toPrecision(2)}x`);
const header = ['op', 'input', 'ours ms', 'd2l ms', 'tv ms', 'ours/d2l', 'ours/tv', 'same result'];
const table = result.rows.map((r) => [
  r.op,
  r.input,
  f(r.ms),
  f(r.d2lMs),
  f(r.torchvisionMs),
  ratio(r.oursOverD2l),
  ratio(r.oursOverTorchvision),
  r.sameResult === undefined ? r.check : `${r.sameResult ? 'yes' : 'NO'}: ${r.check}`,
]);
console.log(
  `\n@cv/anchors vs d2l (PyTorch loops) and torchvision.ops.nms (C++) | ${result.machine.cpu}, ${result.machine.cores} cores, Node ${process.version}, tfjs ${tf.version_core} (${args.backend})`,
);
console.log(
  torch.error || torch.skipped
    ? `PyTorch: ${torch.error ?? torch.skipped}`
    : `PyTorch ${torch.torch}, torchvision ${torch.torchvision ?? 'not installed'}, on ${torch.gpu ?? `the CPU, ${torch.threads} threads`}, median of up to ${torch.reps} (${TORCH_BUDGET} s budget each); ours: median of ${REPS} after a warm-up`,
);
console.log(
  `load average at start ${loadAtStart}. ours/x < 1 means faster than x (0.10x = 10 times faster).\n`,
);
printTable(header, table, (i) => i >= 2 && i <= 6);
console.log(`\nwritten: ${path.relative(root, outFile)}`);
if (leaked) {
  console.error(`tensor leak: ${leaked} tensors left`);
  process.exitCode = 1;
}
if (rows.some((r) => r.same === false)) {
  console.error('different results from PyTorch: see the "same result" column');
  process.exitCode = 1;
}
