#!/usr/bin/env node
// Node half of the SSD parity check: the same TinySSD weights must give the same detections in Node and in
// the page (within 1e-4). Trains a TinySSD for a few steps in plain Node (WASM) on the page's banana scenes
// (so the weights and BatchNorm statistics are not the initial ones), saves it with ssdToSafetensors, runs
// detect() on the page's held-out scenes and writes both files into <dir>:
//   tiny-ssd.safetensors, detections.json
// The end-to-end test serves <dir> inside dist and opens ?page=ssd&weights=<dir>/tiny-ssd.safetensors.
//
//   node e2e/ssd-parity.mjs <dir> [--size 128] [--steps 2] [--test 3]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, SGD } from '@cv/core';
import { detect, ssdToSafetensors, tinySsd, trainStep } from '@cv/ssd';
import * as tf from '@tensorflow/tfjs-core';
import { bananaBatch, TEST_SEED } from '../src/lib/bananas.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    size: { type: 'string', default: '128' },
    steps: { type: 'string', default: '2' },
    test: { type: 'string', default: '3' },
  },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: node e2e/ssd-parity.mjs <dir> [--size N] [--steps N] [--test N]');
const size = Number(args.size);
const steps = Number(args.steps);
const nTest = Number(args.test);

await initBackend('wasm', { log: false });
const model = tinySsd({ numClasses: 1 });
const optimizer = new SGD(Object.fromEntries(model.namedParameters()), { lr: 0.2, weightDecay: 5e-4 });
for (let step = 0; step < steps; step++) {
  const b = bananaBatch([1 + 2 * step, 2 + 2 * step], size);
  const images = tf.tensor4d(b.images, b.shape);
  const labels = tf.tensor3d(b.labels);
  await trainStep(model, optimizer, images, labels);
  tf.dispose([images, labels]);
}
optimizer.dispose();
const test = bananaBatch(
  Array.from({ length: nTest }, (_, i) => TEST_SEED + i),
  size,
);
const images = tf.tensor4d(test.images, test.shape);
const detections = await detect(model, images, { scoreThreshold: 0, maxDetections: 10 });
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'tiny-ssd.safetensors'), ssdToSafetensors(model));
writeFileSync(
  path.join(dir, 'detections.json'),
  JSON.stringify({
    size,
    backend: tf.getBackend(),
    detections: detections.map((list) =>
      list.map((d) => ({ classId: d.classId, score: d.score, box: d.boxNormalized })),
    ),
  }),
);
images.dispose();
model.dispose();
console.log(
  `ssd-parity: wrote ${dir}/tiny-ssd.safetensors and detections.json (${size}x${size}, ${nTest} scenes)`,
);
