// Trains a small conv net with @cv/core in plain Node (no bundler): it learns to predict a 4x-downsampled
// edge map (Sobel gradient magnitude) of images it makes itself, so it runs anywhere with no download.
// It writes the loss curve (out/loss.png) and a grid of inputs, targets and predictions (out/edges.png).
//
//   node train.mjs [--backend wasm|cpu|webgpu|tensorflow] [--steps 200] [--batch 16] [--size 32] [--lr 0.01]
//                  [--out out] [--check]
//
// --check exits non-zero unless the loss fell and no tensor leaked (the project's tests run it).
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  Adam,
  Conv2d,
  History,
  initBackend,
  MaxPool2d,
  mseLoss,
  ProgressBar,
  ReLU,
  Sequential,
  saveGrid,
  saveHistoryPlot,
} from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

const { values: args } = parseArgs({
  // `pnpm example -- --steps 9` passes the `--` through: ignore it.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    backend: { type: 'string' },
    steps: { type: 'string', default: '200' },
    batch: { type: 'string', default: '16' },
    size: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.01' },
    out: { type: 'string', default: 'out' },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: node train.mjs [--backend wasm|cpu|webgpu|tensorflow] [--steps N] [--batch N] [--size N] [--lr X] [--out DIR] [--check]',
  );
  process.exit(0);
}
const positiveInt = (name) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--${name} must be a positive integer, got '${args[name]}'`);
  return n;
};
const steps = positiveInt('steps');
const batch = positiveInt('batch');
const size = positiveInt('size');
if (size % 4 !== 0) throw new Error(`--size must be a multiple of 4 (stride 2 then a 2x2 pool), got ${size}`);
const lr = Number(args.lr);
if (!(lr > 0)) throw new Error(`--lr must be a positive number, got '${args.lr}'`);

const info = await initBackend(args.backend, { log: (m) => console.log(m) });
const details = Object.entries(info.details)
  .filter(([, v]) => v !== '')
  .map(([k, v]) => `${k}=${v}`)
  .join(', ');
console.log(`backend: ${info.name} (${info.reason}); ${details}`);

// Data: smooth random images (upsampled noise), seeded so every run is the same.
const SOBEL_X = tf.tensor4d([-1, 0, 1, -2, 0, 2, -1, 0, 1], [3, 3, 1, 1]);
const SOBEL_Y = tf.tensor4d([-1, -2, -1, 0, 0, 0, 1, 2, 1], [3, 3, 1, 1]);
function makeBatch(seed) {
  return tf.tidy(() => {
    const noise = tf.randomUniform([batch, size / 4, size / 4, 3], 0, 1, 'float32', seed);
    const images = tf.image.resizeBilinear(noise, [size, size], false, true);
    const gray = tf.mean(images, 3, true);
    const gx = tf.conv2d(gray, SOBEL_X, 1, 'same');
    const gy = tf.conv2d(gray, SOBEL_Y, 1, 'same');
    const edges = tf.sqrt(tf.add(tf.add(tf.square(gx), tf.square(gy)), 1e-6));
    const target = tf.avgPool(edges, 4, 4, 'valid'); // [batch, size/4, size/4, 1]
    return { images, target };
  });
}

// Model (PyTorch-shaped @cv/core modules): conv 3x3 stride 2 with explicit padding → ReLU → 2x2 max pool →
// conv 3x3 'same'.
const model = new Sequential(
  new Conv2d(3, 16, 3, {
    stride: 2,
    padding: [
      [1, 1],
      [1, 1],
    ],
  }),
  new ReLU(),
  new MaxPool2d(2),
  new Conv2d(16, 1, 3, { padding: 'same' }),
);
const optimizer = new Adam(Object.fromEntries(model.namedParameters()), { lr });

// The check's measure: the loss on one fixed batch (seed 0; training draws seeds 1, 2, …) before and after
// training. The first and last training losses come from different batches and from an unseeded
// initialisation, so comparing them failed now and then when the initial weights happened to fit well.
const probe = makeBatch(0);
async function probeLoss() {
  const l = tf.tidy(() => mseLoss(model.apply(probe.images), probe.target));
  const v = (await l.data())[0];
  l.dispose();
  return v;
}
const probeBefore = await probeLoss();
const tensorsBefore = tf.memory().numTensors;
const history = new History();
const bar = new ProgressBar();
const t0 = performance.now();
bar.handle({ type: 'epochStart', epoch: 1, epochs: 1, steps });
let examples = 0;
try {
  for (let step = 1; step <= steps; step++) {
    const { images, target } = makeBatch(step); // a fresh batch every step
    const loss = optimizer.minimize(() => mseLoss(model.apply(images), target), true);
    const value = (await loss.data())[0];
    tf.dispose([loss, images, target]);
    if (!Number.isFinite(value)) throw new Error(`step ${step}: loss is ${value}; lower --lr (now ${lr})`);
    history.record(step, { loss: value });
    examples += batch;
    const seconds = (performance.now() - t0) / 1000;
    const metrics = { loss: value, tensors: tf.memory().numTensors };
    bar.handle({
      type: 'step',
      epoch: 1,
      epochs: 1,
      step,
      steps,
      examples,
      seconds,
      examplesPerSecond: examples / seconds,
      metrics,
    });
  }
} finally {
  bar.stop();
}
const seconds = (performance.now() - t0) / 1000;
bar.handle({
  type: 'epochEnd',
  epoch: 1,
  epochs: 1,
  steps,
  examples,
  seconds,
  examplesPerSecond: examples / seconds,
  metrics: { loss: history.records.at(-1).loss },
});
// Adam keeps two moment buffers per parameter: tensors it owns on purpose.
const leaked = tf.memory().numTensors - tensorsBefore - 2 * model.parameters().length;
const losses = history.records.map((r) => r.loss);
console.log(
  `${steps} steps of batch ${batch} at ${size}x${size} on ${info.name}: ${seconds.toFixed(2)} s (${((steps * batch) / seconds).toFixed(1)} examples/s); ` +
    `loss ${losses[0].toFixed(5)} → ${losses.at(-1).toFixed(5)}; leaked tensors: ${leaked}`,
);

// Pictures: the loss curve, and for four unseen images the input, the target edges and the predicted edges.
const { images, target } = makeBatch(0);
const outDir = path.resolve(args.out);
await saveHistoryPlot(path.join(outDir, 'loss.png'), history, {
  title: `core-train on ${info.name}`,
  xLabel: 'step',
});
const shown = Math.min(4, batch);
const cells = tf.tidy(() => {
  const pred = model.apply(images);
  const scale = tf.max(target);
  const view = Math.max(96, size); // enlarge small images so the grid is worth looking at
  const toRgb = (edges) =>
    tf.tile(
      tf.clipByValue(tf.div(tf.image.resizeNearestNeighbor(edges, [view, view]), scale), 0, 1),
      [1, 1, 1, 3],
    );
  const rows = [];
  for (let i = 0; i < shown; i++) {
    rows.push(
      tf.squeeze(
        tf.image.resizeNearestNeighbor(tf.slice(images, [i, 0, 0, 0], [1, -1, -1, -1]), [view, view]),
        [0],
      ),
    );
    rows.push(tf.squeeze(toRgb(tf.slice(target, [i, 0, 0, 0], [1, -1, -1, -1])), [0]));
    rows.push(tf.squeeze(toRgb(tf.slice(pred, [i, 0, 0, 0], [1, -1, -1, -1])), [0]));
  }
  return rows;
});
await saveGrid(path.join(outDir, 'edges.png'), cells, { cols: 3, titles: ['input', 'target', 'predicted'] });
tf.dispose(cells);
console.log(`wrote ${path.join(outDir, 'loss.png')} and ${path.join(outDir, 'edges.png')}`);

const probeAfter = await probeLoss();
optimizer.dispose();
model.dispose();
tf.dispose([images, target, probe.images, probe.target, SOBEL_X, SOBEL_Y]);
if (args.check) {
  if (!(probeAfter < probeBefore))
    throw new Error(`check failed: the loss on a fixed batch did not fall (${probeBefore} → ${probeAfter})`);
  if (leaked !== 0) throw new Error(`check failed: ${leaked} tensor(s) leaked`);
  console.log(
    `check passed: the loss on a fixed batch fell (${probeBefore.toFixed(5)} → ${probeAfter.toFixed(5)}) and no tensor leaked`,
  );
}
