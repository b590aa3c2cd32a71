#!/usr/bin/env node
// @cv/style-transfer example: d2l §14.12 neural style transfer (Gatys et al.) on VGG-19 features, with a real
// content photo and a real style photo (data/, see data/LICENSES.md).
//
//   node main.mjs [--weights <file|url>] [--steps 100] [--size 150,225] [--d2l] [--content data/chelsea.png]
//                 [--style data/hubble_deep_field.jpg] [--snapshots 0] [--backend wasm|cpu] [--out out] [--check]
//
// --weights: VGG-19 ImageNet weights as safetensors, torchvision's names (features.N.weight) or timm's
//   vgg19.tv_in1k, a file or a URL (downloaded once into ~/.cache/cv-js/weights), e.g.
//   https://huggingface.co/timm/vgg19.tv_in1k/resolve/main/model.safetensors (548 MB).
//   Without it the run uses random weights and says so: the loop and the outputs are real, the picture is not
//   a style transfer.
// Defaults suit a laptop (150x225, 100 steps: a few minutes on WASM); --d2l runs the seed's settings
// (300x450, 500 steps: about an hour and a half on one CPU core).
// --check (used by `pnpm test`): a tiny, fast run that verifies the outputs and exits non-zero on failure.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, readImage, saveGrid } from '@cv/core';
import { styleTransfer } from '@cv/style-transfer/node';
import * as tf from '@tensorflow/tfjs-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    weights: { type: 'string' },
    steps: { type: 'string' },
    size: { type: 'string' },
    d2l: { type: 'boolean', default: false },
    content: { type: 'string', default: path.join(here, 'data', 'chelsea.png') },
    style: { type: 'string', default: path.join(here, 'data', 'hubble_deep_field.jpg') },
    snapshots: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string', default: path.join(here, 'out') },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: node main.mjs [--weights <file|url>] [--steps N] [--size H,W] [--d2l] [--content img] [--style img]\n' +
      '                     [--snapshots N] [--backend wasm|cpu] [--out dir] [--check]',
  );
  process.exit(0);
}
const int = (name, v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a non-negative integer, got '${v}'`);
  return n;
};
const steps = int('steps', args.steps ?? (args.check ? 3 : args.d2l ? 500 : 100));
const size = (args.size ?? (args.check ? '32,48' : args.d2l ? '300,450' : '150,225'))
  .split(',')
  .map((v) => int('size', v));
if (size.length !== 2) throw new Error(`--size wants H,W, got '${args.size}'`);

const info = await initBackend(args.backend, { log: false });
console.log(
  `backend: ${info.name}; content ${path.basename(args.content)}, style ${path.basename(args.style)}; ${size[0]}x${size[1]}, ${steps} steps`,
);

const out = path.resolve(args.check ? path.join(args.out, 'check') : args.out);
const result = await styleTransfer({
  content: args.content,
  style: args.style,
  weights: args.weights,
  steps,
  size,
  seed: 0,
  outDir: out,
  snapshotsEvery: int('snapshots', args.snapshots),
  historyEvery: args.check ? 1 : 10,
  weightsHint: '--weights <file|url>',
});

// The side-by-side: content | style | result, at the result's size.
const [content, style] = await Promise.all([readImage(args.content), readImage(args.style)]);
const grid = path.join(out, 'side-by-side.png');
const [c, s] = tf.tidy(() =>
  [content, style].map((im) =>
    tf.image.resizeBilinear(tf.div(tf.cast(im, 'float32'), 255), size, false, true).clipByValue(0, 1),
  ),
);
await saveGrid(grid, [c, s, result.image], {
  cols: 3,
  titles: ['content', 'style', `result (${result.weights} weights)`],
});
tf.dispose([content, style, c, s]);

console.log(
  `\n${steps} steps in ${result.seconds.toFixed(1)} s (${result.secondsPerStep.toFixed(2)} s/step)`,
);
console.log(
  `last step: content ${result.last.content.toPrecision(4)}, style ${result.last.style.toPrecision(4)}, TV ${result.last.tv.toPrecision(4)}`,
);
console.log(`wrote:\n  ${result.files.result}\n  ${grid}\n  ${result.files.plot}`);
for (const f of result.files.snapshots) console.log(`  ${f}`);

if (args.check) {
  const failures = [];
  const check = (ok, what) => {
    console.log(`  check ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failures.push(what);
  };
  const recs = result.history.records;
  const total = (r) => r.content + r.style + r.TV;
  check(recs.length === steps, `the history has ${steps} records`);
  check(
    recs.every((r) => Number.isFinite(total(r))),
    'losses are finite',
  );
  check(
    total(recs.at(-1)) < total(recs[0]),
    `the total loss decreased (${total(recs[0]).toPrecision(4)} → ${total(recs.at(-1)).toPrecision(4)})`,
  );
  check(result.image.shape.join('x') === `${size[0]}x${size[1]}x3`, `the result is ${size[0]}x${size[1]}x3`);
  for (const f of [result.files.result, result.files.plot, grid])
    check(existsSync(f) && statSync(f).size > 0, `${path.basename(f)} written`);
  result.image.dispose();
  if (failures.length) {
    console.error(`\n${failures.length} check(s) failed`);
    process.exit(1);
  }
  console.log('\nall checks passed');
}
