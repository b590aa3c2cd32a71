// @cv/datasets-voc end to end in plain Node: generates a small Pascal VOC 2012 tree (JPEG images, palette PNG
// masks with 255 borders, XML annotations, ImageSets lists) and a banana detection set in d2l's format into
// out/, reads them back with the loaders the models use, writes PNG grids of a few samples (banana boxes,
// VOC crops with their colourised labels, VOC detection boxes), checks the tree and prints counts.
//
//   node main.mjs [--out out] [--backend cpu|wasm] [--train 40] [--val 20] [--bananas 200] [--check]
//
// --check is small and fast (CI): it exits non-zero unless the counts, shapes, label values, the checker's
// verdict and the evaluator's mAP of the ground truth (1) are what they must be, and no tensor leaked.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { colorizeLabels, denormalize, drawBoxes, initBackend, saveGrid } from '@cv/core';
import {
  checkVoc,
  formatCheckVocReport,
  loadDataBananas,
  loadDataVoc,
  synthesizeBananas,
  synthesizeVoc,
  VOC_CLASSES,
  VOC_DETECTION_CLASSES,
  VOCDetection,
  vocEvaluate,
} from '@cv/datasets-voc';
import * as tf from '@tensorflow/tfjs-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    out: { type: 'string', default: 'out' },
    backend: { type: 'string', default: 'cpu' },
    train: { type: 'string' },
    val: { type: 'string' },
    bananas: { type: 'string' },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: node main.mjs [--out out] [--backend cpu|wasm] [--train 40] [--val 20] [--bananas 200] [--check]',
  );
  process.exit(0);
}
const check = args.check;
const outDir = path.resolve(here, args.out);
const nTrain = Number(args.train ?? (check ? 8 : 40));
const nVal = Number(args.val ?? (check ? 4 : 20));
const nBananas = Number(args.bananas ?? (check ? 16 : 200));
const size = check ? [160, 240] : [320, 480];
const crop = check ? [128, 192] : [256, 384];
const failures = [];
/** The first batch of an epoch; leaving the loop early lets the loader dispose the batches it loaded ahead. */
async function firstBatch(loader) {
  for await (const batch of loader.iterate(0)) return batch;
}
const expect = (ok, what) => {
  if (!ok) failures.push(what);
};

await initBackend(args.backend, { log: false });
const tensorsAtStart = tf.memory().numTensors;
const t0 = Date.now();

// 1. Generate the data (real files).
const bananaDir = path.join(outDir, 'banana-detection');
await synthesizeBananas(bananaDir, { train: nBananas, val: Math.max(4, nBananas / 10), seed: 1 });
const voc = await synthesizeVoc(outDir, { train: nTrain, val: nVal, size, seed: 1 });
console.log(
  `generated ${nBananas} banana images and a VOC tree of ${nTrain}+${nVal} images (${voc.objects} objects) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);

// 2. Bananas: the SSD loader; draw the boxes of the first batch.
const [bananaTrain, bananaVal] = await loadDataBananas(8, { dir: bananaDir, seed: 0 });
const bananaBatch = await firstBatch(bananaTrain);
expect(bananaBatch.images.shape.join() === '8,256,256,3', `banana images ${bananaBatch.images.shape}`);
expect(bananaBatch.labels.shape.join() === '8,1,5', `banana labels ${bananaBatch.labels.shape}`);
const bananaLabels = await bananaBatch.labels.array();
const bananaTiles = tf
  .tidy(() => tf.unstack(tf.div(bananaBatch.images, 255)))
  .map((img, i) => {
    const px = drawBoxes(img, [bananaLabels[i][0].slice(1)], { labels: ['banana'], colors: ['#00e0ff'] });
    img.dispose();
    return px;
  });
await saveGrid(path.join(outDir, 'bananas.png'), bananaTiles, { cols: 4 });
tf.dispose(bananaBatch);
console.log(
  `bananas: ${bananaTrain.dataset.length} train, ${bananaVal.dataset.length} val; batch images [${bananaBatch.images.shape}], labels [${bananaBatch.labels.shape}]`,
);

// 3. VOC segmentation: random crops normalized with ImageNet mean/std, labels with 255 borders.
const [segTrain, segVal] = await loadDataVoc(4, crop, { vocDir: voc.vocDir, seed: 0 });
const segBatch = await firstBatch(segTrain);
expect(segBatch.images.shape.join() === `4,${crop},3`, `seg images ${segBatch.images.shape}`);
const labelValues = new Set(await segBatch.labels.data());
expect(
  [...labelValues].every((v) => v <= 20 || v === 255),
  `label values ${[...labelValues]}`,
);
expect(labelValues.has(255), 'no border pixels (255) in the crops');
const segTiles = tf.tidy(() => [
  ...tf.unstack(tf.clipByValue(denormalize(segBatch.images), 0, 1)),
  ...tf.unstack(segBatch.labels).map((l) => colorizeLabels(l)),
]);
await saveGrid(path.join(outDir, 'voc-segmentation.png'), segTiles, { cols: 4 });
tf.dispose([...segTiles, segBatch.images, segBatch.labels]);
const classesSeen = [...labelValues].filter((v) => v > 0 && v < 255).map((v) => VOC_CLASSES[v]);
console.log(
  `VOC segmentation: ${segTrain.dataset.length} train, ${segVal.dataset.length} val crops of ${crop.join('x')}; classes in the first batch: ${classesSeen.join(', ')}`,
);

// 4. VOC detection: annotations read from XML; boxes drawn; the evaluator on the ground truth itself.
const det = await VOCDetection.load({ vocDir: voc.vocDir, split: 'val', keepDifficult: true });
const detTiles = [];
for (let i = 0; i < Math.min(4, det.length); i++) {
  const { image, label } = await det.get(i);
  const rows = await label.array();
  detTiles.push(
    tf.tidy(() =>
      drawBoxes(
        tf.div(image, 255),
        rows.map((r) => r.slice(1)),
        { labels: rows.map((r) => VOC_DETECTION_CLASSES[r[0]]) },
      ),
    ),
  );
  tf.dispose([image, label]);
}
await saveGrid(path.join(outDir, 'voc-detection.png'), detTiles, { cols: 2 });
const targets = det.evaluationTargets();
const perfect = targets.flatMap((a) =>
  a.objects.map((o, k) => ({ imageId: a.imageId, cls: o.cls, box: o.box, score: 1 - k / 100 })),
);
const { mAP } = vocEvaluate(perfect, targets, 20);
expect(Math.abs(mAP - 1) < 1e-12, `mAP of the ground truth is ${mAP}, not 1`);
console.log(
  `VOC detection: ${det.length} val images, ${targets.reduce((n, a) => n + a.objects.length, 0)} objects; mAP of the ground truth = ${mAP.toFixed(6)}`,
);

// 5. The checker (what `cv-datasets-voc check` prints).
const report = await checkVoc(voc.vocDir);
console.log(formatCheckVocReport(report));
expect(report.ok, 'checkVoc found problems');
expect(
  report.counts['Segmentation/train'] === nTrain && report.counts['Segmentation/val'] === nVal,
  'list counts',
);

for (const f of ['bananas.png', 'voc-segmentation.png', 'voc-detection.png'])
  expect(existsSync(path.join(outDir, f)) && statSync(path.join(outDir, f)).size > 1000, `${f} written`);
expect(
  tf.memory().numTensors === tensorsAtStart,
  `leaked ${tf.memory().numTensors - tensorsAtStart} tensors`,
);
console.log(
  `wrote ${outDir}/{bananas,voc-segmentation,voc-detection}.png in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
);

if (check) {
  if (failures.length) {
    console.error(`CHECK FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('check passed');
}
