// The README's main job: train d2l's TinySSD on the banana set and detect bananas, in plain Node on WASM.
//
//   node main.mjs [--epochs 2] [--recipe improved|seed] [--batch 32] [--train 1000] [--val 100] [--micro-batch 8]
//                 [--workers 2] [--data out/data] [--out out] [--flip] [--hard-negatives 3] [--smooth-l1]
//                 [--box-norm all|positives] [--anchor-scales 0.1,0.5] [--lr 0.2] [--momentum 0.9]
//                 [--schedule constant|cosine] [--backend wasm] [--resume] [--check]
//
// It generates the banana set if absent (@cv/datasets-voc's generator, d2l's format: 1000 training and 100
// validation 256x256 images), trains (a short default; `--epochs 8` is the improved recipe's full run,
// `--recipe seed --epochs 20` the seed's), reports d2l's class error and box MAE and the validation AP@0.5 each
// epoch, saves the model (safetensors + JSON), detects bananas on validation images and writes a PNG grid of the
// detections and the metrics plot.
// `--workers N` (default on WASM and CPU: 2, or 1 on a one-core machine; 1 on a GPU backend) trains on N worker
// threads, each with its own WASM (or CPU) backend: tfjs-backend-wasm runs one thread in Node. 1: the main thread.
// `--anchor-scales MIN,MAX` replaces d2l's anchor sizes (the SSD paper's rule from 0.2 to 0.88) by the same rule
// from MIN to MAX: the generated bananas are 0.04–0.39 of the image, and with d2l's sizes 37% of them have no
// anchor at IoU ≥ 0.5; from 0.1 to 0.5, 2.4%.
// `--resume` continues from the last checkpoint in <out>/checkpoints. `--check` runs a tiny version (8 training
// images, batch 4, 2 epochs) and exits non-zero if anything is off (no training progress, a leaked tensor, a missing file).
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { anchorCoverage } from '@cv/anchors';
import { initBackend, ProgressBar, saveHistoryPlot } from '@cv/core';
import { loadDataBananas, synthesizeBananas } from '@cv/datasets-voc';
import { detect, loadSsd, saveDetections, saveSsd, ssdAnchorSizes, tinySsd, trainSsd } from '@cv/ssd/node';
import * as tf from '@tensorflow/tfjs-core';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    epochs: { type: 'string' },
    batch: { type: 'string', default: '32' },
    'micro-batch': { type: 'string', default: '8' },
    workers: { type: 'string' },
    train: { type: 'string' },
    val: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string', default: 'out' },
    backend: { type: 'string', default: 'wasm' },
    recipe: { type: 'string', default: 'improved' },
    flip: { type: 'boolean' },
    'hard-negatives': { type: 'string' },
    'smooth-l1': { type: 'boolean' },
    'anchor-scales': { type: 'string' },
    lr: { type: 'string' },
    schedule: { type: 'string' },
    momentum: { type: 'string' },
    'box-norm': { type: 'string' },
    seed: { type: 'string', default: '0' },
    resume: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: node main.mjs [--epochs N] [--batch N] [--micro-batch N] [--workers N] [--train N] [--val N] [--data DIR] [--out DIR] [--recipe improved|seed] [--flip] [--hard-negatives R] [--smooth-l1] [--anchor-scales MIN,MAX] [--lr X] [--momentum X] [--schedule constant|cosine] [--box-norm all|positives] [--backend wasm|cpu|webgpu] [--check]',
  );
  process.exit(0);
}
// --recipe: 'improved' (default; what recipe/ssd_recipe_torch.py found on these bananas: flips, hard negatives
// 3:1, smooth L1 normalised by the positives, SGD lr 0.01 with momentum 0.9 and a cosine schedule, anchors from
// 0.1 to 0.5) or 'seed' (d2l's: SGD lr 0.2, weight decay 5e-4, no momentum, a constant lr, d2l's loss and anchors).
// Flags given explicitly win over the recipe's.
const RECIPES = {
  seed: {},
  improved: {
    flip: true,
    'hard-negatives': '3',
    'smooth-l1': true,
    'box-norm': 'positives',
    lr: '0.01',
    momentum: '0.9',
    schedule: 'cosine',
    'anchor-scales': '0.1,0.5',
  },
};
if (!(args.recipe in RECIPES))
  throw new Error(`--recipe must be one of ${Object.keys(RECIPES).join(', ')}, got '${args.recipe}'`);
const DEFAULTS = {
  flip: false,
  'smooth-l1': false,
  lr: '0.2',
  momentum: '0',
  schedule: 'constant',
  'box-norm': 'all',
};
for (const [k, v] of Object.entries({ ...DEFAULTS, ...RECIPES[args.recipe] })) args[k] ??= v;
const int = (name, fallback) => {
  const v = args[name] ?? String(fallback);
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got '${v}'`);
  return n;
};
const check = args.check;
const epochs = int('epochs', check ? 2 : 2);
const batch = check ? 4 : int('batch', 32);
const nTrain = int('train', check ? 8 : 1000);
const nVal = int('val', check ? 4 : 100);
const outDir = path.resolve(args.out);
const dataDir = path.resolve(args.data ?? path.join(outDir, check ? 'data-check' : 'data'));
const lr = Number(args.lr);

const info = await initBackend(args.backend, { log: false });
console.log(`backend: ${info.name} (${info.reason})`);
// Worker threads pay off where the backend is single-threaded on the CPU (WASM, CPU), not on a GPU.
const workers = int('workers', ['wasm', 'cpu'].includes(info.name) ? Math.min(2, os.cpus().length) : 1);
// The WASM heap (4 GB) holds about 16 images of 256x256 TinySSD training, and a long run at 16 ran out of it
// after 29 steps: accumulate the gradients of batch 32 over chunks of 8 (BatchNorm statistics per chunk), and
// give every worker at least one chunk.
const microBatch = Math.min(batch, int('micro-batch', 8), Math.ceil(batch / workers));

// 1. Data: d2l's banana format, generated once.
if (!['bananas_train', 'bananas_val'].every((s) => existsSync(path.join(dataDir, s, 'label.csv')))) {
  console.log(`generating ${nTrain} + ${nVal} banana images in ${dataDir} ...`);
  await synthesizeBananas(dataDir, { train: nTrain, val: nVal, seed: Number(args.seed) });
}
const [trainIter, valIter] = await loadDataBananas(batch, { dir: dataDir, seed: Number(args.seed) });
console.log(
  `data: ${trainIter.dataset.length} training, ${valIter.dataset.length} validation images (${dataDir})`,
);

// 2. Train d2l's TinySSD with the chosen recipe.
const tensorsBefore = tf.memory().numTensors;
let sizes;
if (args['anchor-scales']) {
  const m = /^([0-9.]+),([0-9.]+)$/.exec(args['anchor-scales']);
  if (!m)
    throw new Error(
      `--anchor-scales must be MIN,MAX (fractions of the image, e.g. 0.1,0.5), got '${args['anchor-scales']}'`,
    );
  sizes = ssdAnchorSizes(Number(m[1]), Number(m[2]));
  console.log(
    `anchor sizes: ${sizes.map((s) => s.map((v) => v.toFixed(3)).join('/')).join(', ')} (d2l's: 0.2/0.272 … 0.88/0.961)`,
  );
}
const net = tinySsd({ numClasses: 1, sizes });
{
  // How many training bananas have an anchor at IoU ≥ 0.5 (a positive in multiboxTarget's labelling)?
  const labels = trainIter.dataset.labels; // rows (class, x1, y1, x2, y2)
  net.eval(); // a probe for the anchors: BatchNorm's running statistics stay untouched
  tf.tidy(() => {
    net.apply(tf.zeros([1, 256, 256, 3]));
  });
  net.train();
  const anchors = net.anchorsFor(256, 256);
  const boxes = tf.tidy(() => tf.slice(tf.tensor2d(labels, [labels.length / 5, 5]), [0, 1], [-1, 4]));
  const cover = anchorCoverage(anchors, boxes);
  console.log(
    `anchors: ${(100 * cover.covered).toFixed(1)}% of the training boxes have one at IoU ≥ 0.5 ` +
      `(mean best IoU ${cover.meanBestIou.toFixed(3)})${sizes ? '' : '; --anchor-scales MIN,MAX changes the sizes'}`,
  );
  tf.dispose([anchors, boxes]);
}
const loss = {};
if (args['hard-negatives']) loss.hardNegativeRatio = Number(args['hard-negatives']);
if (args['smooth-l1']) loss.bboxLoss = 'smoothL1';
if (args['box-norm'] !== 'all') loss.bboxNormalization = args['box-norm'];
console.log(
  `recipe ${args.recipe}: SGD lr ${lr}${Number(args.momentum) ? ` momentum ${args.momentum}` : ''} weight decay 5e-4, ` +
    `${args.schedule} lr over ${epochs} epochs, loss ${JSON.stringify(loss)}${args.flip ? ', flips' : ''}`,
);
const bar = new ProgressBar();
let result;
try {
  result = await trainSsd(net, trainIter, {
    epochs,
    lr,
    schedule: args.schedule,
    momentum: Number(args.momentum),
    weightDecay: 5e-4,
    valLoader: valIter,
    loss,
    augment: { flip: args.flip, seed: Number(args.seed) },
    checkpointDir: path.join(outDir, 'checkpoints'),
    resume: args.resume,
    microBatch,
    workers,
    workerBackend: info.name === 'cpu' ? 'cpu' : 'wasm',
    onProgress: bar.callback,
  });
} finally {
  bar.stop();
}
const last = result.history.last();
const fmt = (v) => (v < 1e-2 ? v.toExponential(2) : v.toFixed(4));
console.log(
  `class err ${fmt(last['class err'])}, bbox mae ${fmt(last['bbox mae'])}, val AP@0.5 ${fmt(last['val AP@0.5'])}; ` +
    `${result.examplesPerSecond.toFixed(2)} examples/sec on ${info.name}${result.workers > 1 ? ` (${result.workers} worker threads)` : ''} ` +
    `(labelling ${((100 * result.profile.targetMs) / result.profile.totalMs).toFixed(1)}%, data ${((100 * result.profile.dataMs) / result.profile.totalMs).toFixed(1)}% of the time)`,
);

// 3. Save, reload, detect on validation images, draw.
const { weights } = await saveSsd(path.join(outDir, 'tiny-ssd.safetensors'), net);
const loaded = await loadSsd(weights);
const shown = Math.min(8, nVal);
const { images, labels: firstLabels } = await (async () => {
  for await (const b of valIter) return b; // the first validation batch
})();
const some = tf.slice(images, [0, 0, 0, 0], [Math.min(shown, images.shape[0]), -1, -1, -1]);
// Each banana image holds one banana: draw each image's best detection. Hard-negative mining leaves the improved
// recipe's scores for true bananas between 0.3 and 0.8 here (8 epochs), so a fixed 0.5 would hide half of them.
const dets = await detect(loaded, some, { scoreThreshold: 0.2, maxDetections: 1 });
const gridFile = await saveDetections(path.join(outDir, 'detections.png'), some, dets, {
  classNames: ['banana'],
  cols: 4,
});
const plotFile = path.join(outDir, 'metrics.png');
await saveHistoryPlot(plotFile, result.history, { title: 'TinySSD on bananas', xLabel: 'epoch' });
tf.dispose([images, firstLabels, some]);
const same = tf.tidy(() => {
  const x = tf.zeros([1, 256, 256, 3]);
  net.eval();
  loaded.eval();
  const a = net.apply(x);
  const b = loaded.apply(x);
  return tf.max(tf.abs(tf.sub(a.clsPreds, b.clsPreds))).dataSync()[0];
});
loaded.dispose();
net.dispose(); // also frees the anchors the model keeps
const leaked = tf.memory().numTensors - tensorsBefore;
console.log(`wrote ${gridFile}\nwrote ${plotFile}\nwrote ${weights} (+ .json)`);
console.log(
  `first image: ${dets[0].map((d) => `banana ${d.score.toFixed(2)} at [${d.box.map((v) => v.toFixed(0)).join(', ')}]`).join('; ') || 'no banana above 0.5'}`,
);

if (check) {
  const records = result.history.records;
  const problems = [];
  if (!(records.at(-1)['train loss'] < records[0]['train loss'] || records.at(-1)['class err'] < 0.05))
    problems.push(
      `training made no progress (${records.map((r) => r['train loss'].toFixed(4)).join(' → ')})`,
    );
  if (!Number.isFinite(records.at(-1)['val AP@0.5'])) problems.push('no validation AP');
  if (same !== 0) problems.push(`the reloaded model differs (${same})`);
  if (leaked !== 0) problems.push(`${leaked} tensor(s) leaked by training`);
  for (const f of [gridFile, plotFile, weights]) if (!existsSync(f)) problems.push(`missing ${f}`);
  if (problems.length) {
    console.error(`check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('check passed');
}
