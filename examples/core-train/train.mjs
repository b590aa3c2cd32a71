// Trains a small conv net with @cv/core in plain Node (no bundler): it learns to predict a 4x-downsampled
// edge map (Sobel gradient magnitude) of images it makes itself, so it runs anywhere with no download.
//
//   node train.mjs [--backend wasm|cpu|webgpu|tensorflow] [--steps 40] [--batch 16] [--size 32] [--lr 0.01]
//                  [--check]
//
// --check exits non-zero unless the loss fell and no tensor leaked (the project's CI runs it).
import { parseArgs } from 'node:util';
import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

const { values: args } = parseArgs({
  // `pnpm example -- --steps 9` passes the `--` through: ignore it.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    backend: { type: 'string' },
    steps: { type: 'string', default: '40' },
    batch: { type: 'string', default: '16' },
    size: { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.01' },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: node train.mjs [--backend wasm|cpu|webgpu|tensorflow] [--steps N] [--batch N] [--size N] [--lr X] [--check]');
  process.exit(0);
}
const positiveInt = (name) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got '${args[name]}'`);
  return n;
};
const steps = positiveInt('steps');
const batch = positiveInt('batch');
const size = positiveInt('size');
if (size % 4 !== 0) throw new Error(`--size must be a multiple of 4 (stride 2 then a 2x2 pool), got ${size}`);
const lr = Number(args.lr);

const info = await initBackend(args.backend, { log: (m) => console.log(m) });
console.log(`backend: ${info.name} (${info.reason}); ${Object.entries(info.details).map(([k, v]) => `${k}=${v}`).join(', ')}`);

// Data: smooth random images (blurred noise plus a bright rectangle), seeded so every run is the same.
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

// Model: conv 3x3 stride 2 with explicit padding → ReLU → 2x2 max pool → conv 3x3 'same'.
const w1 = tf.variable(tf.mul(tf.randomNormal([3, 3, 3, 16], 0, 1, 'float32', 7), Math.sqrt(2 / 27)), true, 'conv1.weight');
const b1 = tf.variable(tf.zeros([16]), true, 'conv1.bias');
const w2 = tf.variable(tf.mul(tf.randomNormal([3, 3, 16, 1], 0, 1, 'float32', 8), Math.sqrt(1 / 144)), true, 'conv2.weight');
const b2 = tf.variable(tf.zeros([1]), true, 'conv2.bias');
const forward = (x) => {
  const h = tf.relu(tf.add(tf.conv2d(x, w1, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]), b1));
  return tf.add(tf.conv2d(tf.maxPool(h, 2, 2, 'valid'), w2, 1, 'same'), b2);
};
const optimizer = tf.train.momentum(lr, 0.9);

const { images, target } = makeBatch(1);
const tensorsBefore = tf.memory().numTensors;
const losses = [];
const t0 = performance.now();
for (let step = 1; step <= steps; step++) {
  const loss = optimizer.minimize(() => tf.losses.meanSquaredError(target, forward(images)), true);
  const value = (await loss.data())[0];
  loss.dispose();
  if (!Number.isFinite(value)) throw new Error(`step ${step}: loss is ${value}; lower --lr (now ${lr})`);
  losses.push(value);
  if (step === 1 || step % Math.max(1, Math.floor(steps / 10)) === 0 || step === steps) {
    console.log(`step ${String(step).padStart(4)}  loss ${value.toFixed(5)}  tensors ${tf.memory().numTensors}`);
  }
}
const seconds = (performance.now() - t0) / 1000;
// The optimizer keeps one momentum accumulator per variable: 4 tensors it owns on purpose.
const leaked = tf.memory().numTensors - tensorsBefore - 4;
console.log(
  `${steps} steps of batch ${batch} at ${size}x${size} on ${info.name}: ${seconds.toFixed(2)} s (${((steps * batch) / seconds).toFixed(1)} examples/s); ` +
    `loss ${losses[0].toFixed(5)} → ${losses.at(-1).toFixed(5)}; leaked tensors: ${leaked}`,
);
optimizer.dispose();
tf.dispose([w1, b1, w2, b2, images, target, SOBEL_X, SOBEL_Y]);
if (args.check) {
  if (!(losses.at(-1) < losses[0])) throw new Error(`check failed: the loss did not fall (${losses[0]} → ${losses.at(-1)})`);
  if (leaked !== 0) throw new Error(`check failed: ${leaked} tensor(s) leaked per run`);
  console.log('check passed: the loss fell and no tensor leaked');
}
