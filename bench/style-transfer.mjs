#!/usr/bin/env node
// Benchmark of @cv/style-transfer beside PyTorch on the CPU of this machine: seconds per optimisation step of
// d2l's neural style transfer (§14.12) at 300x450 (the seed's size): VGG-19 features up to conv5_1, the
// content/style/TV losses, their gradient with respect to the image, Adam's update. Random weights on both
// sides (torchvision's initialisation; the time does not depend on the values), the same content and style
// photos (examples/style-transfer/data). PyTorch runs first (torch.set_num_threads(cores)), then tfjs; 'wasm'
// and 'cpu' compute synchronously, so a step's wall time is the time of the computation. Results go to
// bench/results/style-transfer-<date>.json and a table to stdout.
//
//   node bench/style-transfer.mjs [--backends wasm] [--size 300,450] [--quick] [--reps 3] [--warmup 1]
//                                 [--torch-threads N] [--no-torch]
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
const data = path.join(root, 'examples', 'style-transfer', 'data');
const CONTENT = path.join(data, 'chelsea.png');
const STYLE = path.join(data, 'hubble_deep_field.jpg');

const args = benchArgs(
  {
    backends: { type: 'string', default: 'wasm' },
    size: { type: 'string' },
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
  },
  'usage: node bench/style-transfer.mjs [--backends wasm[,cpu]] [--size 300,450] [--quick] [--reps 3] [--warmup 1]\n' +
    '                                     [--torch-threads N] [--python /usr/bin/python3] [--no-torch]\n' +
    '  --quick   150x225, 1 repetition',
);
const SIZE = (args.size ?? (args.quick ? '150,225' : '300,450')).split(',').map((v) => int('size', v, 2));
if (SIZE.length !== 2) throw new Error(`--size wants H,W, got '${args.size}'`);
const REPS = args.quick ? 1 : Math.max(1, int('reps', args.reps));
const WARMUP = int('warmup', args.warmup);
const BACKENDS = list(args.backends);
const THREADS =
  args['torch-threads'] !== undefined ? int('torch-threads', args['torch-threads'], 1) : os.cpus().length;

const built = builtEntries('style-transfer');
const { tf, cv, pkg: st } = await importBuilt(built);
const log = (m) => process.stderr.write(`${m}\n`);
const loadAtStart = loadAverage(log);

let torch = { skipped: true };
if (!args['no-torch']) {
  log(`PyTorch: ${SIZE.join('x')}, ${THREADS} threads, ${WARMUP} warm-up + ${REPS} steps ...`);
  torch = runPython(
    args.python,
    path.join(here, 'style_transfer_torch.py'),
    [
      '--content',
      CONTENT,
      '--style',
      STYLE,
      '--size',
      SIZE.join(','),
      '--threads',
      String(THREADS),
      '--warmup',
      String(WARMUP),
      '--reps',
      String(REPS),
    ],
    { hint: TORCHVISION_HINT, what: 'PyTorch/torchvision' },
  );
  if (torch.error) log(`PyTorch: ${torch.error}`);
}

const ours = {};
for (const backend of BACKENDS) {
  await cv.initBackend(backend, { log: false });
  log(`tfjs ${backend}: ${SIZE.join('x')}, ${WARMUP} warm-up + ${REPS} steps ...`);
  const net = new st.Vgg19({ lastLayer: 28, seed: 0 });
  const [c, s] = await Promise.all([cv.readImage(CONTENT), cv.readImage(STYLE)]);
  const [cx, sx] = [st.preprocess(c, SIZE), st.preprocess(s, SIZE)];
  tf.dispose([c, s]);
  const synth = new st.Synthesizer(net, cx, sx);
  tf.dispose([cx, sx]);
  for (let i = 0; i < WARMUP; i++) synth.step();
  const times = [];
  const cpu = [];
  for (let i = 0; i < REPS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    synth.step();
    times.push((performance.now() - t0) / 1000);
    cpu.push(process.cpuUsage(c0).user / 1e6);
  }
  synth.dispose();
  net.dispose();
  ours[backend] = { secondsPerStep: median(times), times, cpuSecondsPerStep: median(cpu) };
}

const result = {
  benchmark: 'style-transfer',
  date: new Date().toISOString(),
  machine: machine(loadAtStart, { atEnd: true }),
  size: SIZE,
  reps: REPS,
  warmup: WARMUP,
  tfjs: tf.version_core,
  torch,
  ours,
};
const file = writeResult(here, 'style-transfer', result, args.quick);
const t = torch.secondsPerStep;
printTable(
  ['backend', `s/step ${SIZE.join('x')}`, 'cpu s/step', 'torch s/step', 'ours/torch'],
  Object.entries(ours).map(([b, r]) => [
    b,
    f1(r.secondsPerStep),
    f1(r.cpuSecondsPerStep),
    t === undefined ? '' : `${f1(t)} (${torch.threads} thr)`,
    t === undefined ? '' : (r.secondsPerStep / t).toFixed(2),
  ]),
  (i) => i > 0,
);
console.log(`\n${path.relative(root, file)}`);
