// @cv/anchors on a real photo, d2l §13.4 end to end in plain Node: anchor boxes at a few scales, labelling
// anchors with classes and offsets for hand-drawn ground-truth boxes, and non-maximum suppression of
// predicted boxes. Writes PNG files to out/ and prints a summary.
//
//   node main.mjs [--backend wasm|cpu|webgpu|tensorflow] [--out out] [--check]
//
// --check exits non-zero unless every object got an anchor, NMS removed boxes but kept one per object, the
// files were written and no tensor leaked (the project's tests run it on cpu and wasm).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  assignAnchorToBbox,
  boxIou,
  multiboxDetection,
  multiboxPrior,
  multiboxTarget,
  nms,
  offsetBoxes,
  offsetInverse,
} from '@cv/anchors';
import { drawBoxes, initBackend, Rng, readImage, saveBoxes, saveGrid } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    backend: { type: 'string' },
    out: { type: 'string', default: 'out' },
    check: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: node main.mjs [--backend wasm|cpu|webgpu|tensorflow] [--out out] [--check]');
  process.exit(0);
}
const outDir = path.resolve(here, args.out);
const info = await initBackend(args.backend, { log: false });
console.log(`backend: ${info.name} (${info.reason})`);
const tensorsAtStart = tf.memory().numTensors;
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};
const fmt = (v, d = 3) => (v >= 0 ? ' ' : '') + v.toFixed(d);
const boxText = (b) => `[${Array.from(b, (v) => v.toFixed(2)).join(', ')}]`;

// The photo (CC0, see data/LICENSES.md) and hand-drawn ground truth: normalized corners.
const image = await readImage(path.join(here, 'data', 'chelsea.jpg')); // [300, 451, 3] int32
const [H, W] = image.shape;
const CLASSES = ['head', 'eye', 'nose'];
const objects = [
  { cls: 0, box: [0.07, 0.0, 0.86, 1.0] },
  { cls: 1, box: [0.3, 0.28, 0.46, 0.49] },
  { cls: 1, box: [0.65, 0.36, 0.76, 0.54] },
  { cls: 2, box: [0.51, 0.74, 0.65, 0.89] },
];
console.log(
  `image: chelsea.jpg, ${W}x${H}; ${objects.length} objects: ${objects.map((o) => CLASSES[o.cls]).join(', ')}`,
);

// 1. Anchors. d2l's picture: the 5 anchors centred on one pixel of a feature map as large as the image
//    (sizes 0.75, 0.5, 0.25 with ratio 1; ratios 2 and 0.5 with size 0.75).
const files = [];
{
  const all = tf.tidy(() => multiboxPrior(tf.zeros([1, H, W, 1]), [0.75, 0.5, 0.25], [1, 2, 0.5]));
  const per = 5;
  const y = Math.floor(H / 2);
  const x = Math.floor(W / 2);
  const first = (y * W + x) * per;
  const five = tf.tidy(() => tf.slice(all, [0, first, 0], [1, per, 4]).reshape([per, 4]));
  console.log(
    `\n1. multiboxPrior on a ${H}x${W} map: ${all.shape[1].toLocaleString('en')} anchors (5 per pixel)`,
  );
  const file = path.join(outDir, 'anchors-one-pixel.png');
  await saveBoxes(file, image, five, {
    labels: ['s=0.75, r=1', 's=0.5, r=1', 's=0.25, r=1', 's=0.75, r=2', 's=0.75, r=0.5'],
  });
  files.push(file);
  tf.dispose([all, five]);
}
// ... and at three scales (d2l §13.5's display_anchors): small anchors on a fine map, large on a coarse one.
{
  const scales = [
    { h: 4, w: 4, size: 0.15 },
    { h: 2, w: 2, size: 0.4 },
    { h: 1, w: 1, size: 0.8 },
  ];
  const panels = [];
  for (const s of scales) {
    const a = tf.tidy(() =>
      multiboxPrior(tf.zeros([1, s.h, s.w, 1]), [s.size], [1, 2, 0.5]).reshape([-1, 4]),
    );
    panels.push(drawBoxes(image, a));
    console.log(`   ${s.h}x${s.w} feature map, size ${s.size}: ${a.shape[0]} anchors`);
    a.dispose();
  }
  const file = path.join(outDir, 'anchors-scales.png');
  await saveGrid(file, panels, {
    cols: 3,
    titles: scales.map((s) => `${s.h}x${s.w} map, size ${s.size}`),
  });
  files.push(file);
}

// 2. Labelling: the anchors of a small multi-scale detector, assigned to the ground truth.
const SCALES = [
  { h: 8, w: 8, sizes: [0.1, 0.16] },
  { h: 4, w: 4, sizes: [0.3, 0.45] },
  { h: 2, w: 2, sizes: [0.6, 0.75] },
  { h: 1, w: 1, sizes: [0.9, 0.95] },
];
const anchors = tf.tidy(() =>
  tf.concat(
    SCALES.map((s) => multiboxPrior(tf.zeros([1, s.h, s.w, 1]), s.sizes, [1, 2, 0.5])),
    1,
  ),
);
const N = anchors.shape[1];
const gtBoxes = tf.tensor2d(objects.map((o) => o.box));
const labels = tf.tensor3d([objects.map((o) => [o.cls, ...o.box])]);
const target = multiboxTarget(anchors, labels);
const flatAnchors = anchors.reshape([N, 4]);
const assigned = assignAnchorToBbox(gtBoxes, flatAnchors);
const iou = boxIou(flatAnchors, gtBoxes);
const cls = target.classLabels.dataSync();
const mask = target.bboxMask.dataSync();
const off = target.bboxOffset.dataSync();
const map = assigned.dataSync();
const iouV = iou.dataSync();
const anc = flatAnchors.dataSync();
console.log(
  `\n2. multiboxTarget: ${N} anchors (${SCALES.map((s) => `${s.h}x${s.w}`).join(', ')} maps, 4 per pixel)`,
);
console.log(
  '   anchor  box                           object     IoU    class  mask  offsets (dx, dy, dw, dh)',
);
const positives = [];
for (let i = 0; i < N; i++) {
  if (cls[i] === 0) continue;
  const j = map[i];
  positives.push(i);
  console.log(
    `   ${String(i).padStart(6)}  ${boxText(anc.subarray(i * 4, i * 4 + 4)).padEnd(28)}  ${`${CLASSES[objects[j].cls]} #${j}`.padEnd(9)}  ${iouV[i * objects.length + j].toFixed(2)}  ${String(cls[i]).padStart(5)}  ${mask[i * 4]}     ${Array.from(off.subarray(i * 4, i * 4 + 4), (v) => fmt(v, 2)).join(' ')}`,
  );
}
console.log(
  `   ${positives.length} positive anchors; the other ${N - positives.length} are background (class 0, mask 0, offsets 0)`,
);
for (let j = 0; j < objects.length; j++)
  check(
    positives.some((i) => map[i] === j),
    `object ${j} (${CLASSES[objects[j].cls]}) has no anchor`,
  );
check(
  positives.every((i) => cls[i] === objects[map[i]].cls + 1),
  'class labels are not the assigned objects classes + 1',
);
{
  const boxes = [];
  const names = [];
  const colors = [];
  const palette = [
    [255, 64, 64],
    [64, 160, 255],
    [255, 200, 0],
  ];
  for (const o of objects) {
    boxes.push(o.box);
    names.push(CLASSES[o.cls]);
    colors.push([255, 255, 255]);
  }
  for (const i of positives) {
    boxes.push(Array.from(anc.subarray(i * 4, i * 4 + 4)));
    names.push(`a${i}`);
    colors.push(palette[objects[map[i]].cls]);
  }
  const file = path.join(outDir, 'assigned-anchors.png');
  await saveBoxes(file, image, boxes, { labels: names, colors });
  files.push(file);
}

// 3. NMS. Predictions a trained detector might make: anchors that overlap an object predict its class with
//    confidence growing with the IoU and offsets towards the object plus noise; the rest predict background.
const rng = new Rng(7);
const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const C = CLASSES.length;
const probs = new Float32Array((C + 1) * N);
const bestObj = new Int32Array(N);
const bestIou = new Float32Array(N);
for (let i = 0; i < N; i++) {
  let b = 0;
  for (let j = 1; j < objects.length; j++)
    if (iouV[i * objects.length + j] > iouV[i * objects.length + b]) b = j;
  bestObj[i] = b;
  bestIou[i] = iouV[i * objects.length + b];
  const p = Math.min(0.98, Math.max(0.01, bestIou[i] * 1.6 + 0.05 * normal()));
  probs[i] = 1 - p; // background
  probs[(objects[b].cls + 1) * N + i] = p;
}
const target4 = tf.tidy(() => tf.gather(gtBoxes, tf.tensor1d(Array.from(bestObj), 'int32')));
const trueOffsets = offsetBoxes(flatAnchors, target4);
const noisy = tf.tidy(() => tf.add(trueOffsets, tf.mul(tf.randomNormal([N, 4], 0, 1, 'float32', 3), 0.4)));
const clsProbs = tf.tensor3d(probs, [1, C + 1, N]);
const offsetPreds = noisy.reshape([1, 4 * N]);
const detections = multiboxDetection(clsProbs, offsetPreds, anchors, { nmsThreshold: 0.5 });
const rows = detections.arraySync()[0];
const decoded = offsetInverse(flatAnchors, noisy);
const dec = decoded.dataSync();
const SHOW = 0.4;
const before = [];
for (let i = 0; i < N; i++) {
  let best = 0;
  for (let c = 1; c <= C; c++) if (probs[c * N + i] > probs[best * N + i]) best = c;
  if (best > 0 && probs[best * N + i] >= SHOW) before.push({ i, c: best - 1, p: probs[best * N + i] });
}
const after = rows.filter((r) => r[0] >= 0 && r[1] >= SHOW);
console.log(`\n3. multiboxDetection (class-agnostic NMS, threshold 0.5) over ${N} predicted boxes`);
console.log(`   confidence ≥ ${SHOW}: ${before.length} boxes before NMS, ${after.length} after:`);
for (const r of after)
  console.log(`   ${CLASSES[r[0]].padEnd(5)} ${r[1].toFixed(2)}  ${boxText(r.slice(2))}`);
check(after.length < before.length, 'NMS removed nothing');
for (const cl of new Set(objects.map((o) => o.cls)))
  check(
    after.some((r) => r[0] === cl),
    `NMS kept no ${CLASSES[cl]}`,
  );
// The same NMS through `nms` on the confident boxes alone.
{
  const b = tf.tensor2d(
    before.map((d) => Array.from(dec.subarray(d.i * 4, d.i * 4 + 4))),
    [before.length, 4],
  );
  const s = tf.tensor1d(before.map((d) => d.p));
  const keep = nms(b, s, 0.5, { semantics: 'd2l' });
  console.log(`   nms() on those ${before.length} boxes keeps ${keep.shape[0]}`);
  check(
    keep.shape[0] === after.length,
    `nms() kept ${keep.shape[0]} boxes, multiboxDetection ${after.length}`,
  );
  tf.dispose([b, s, keep]);
}
{
  const panel = (list, boxOf) =>
    drawBoxes(image, list.map(boxOf), {
      labels: list.map((d) => `${CLASSES[d.c]}=${d.p.toFixed(2)}`),
      colors: list.map(
        (d) =>
          [
            [255, 64, 64],
            [64, 160, 255],
            [255, 200, 0],
          ][d.c],
      ),
      lineWidth: 1,
      fontScale: 1,
    });
  const beforePanel = panel(before, (d) => Array.from(dec.subarray(d.i * 4, d.i * 4 + 4)));
  const afterPanel = panel(
    after.map((r) => ({ c: r[0], p: r[1], box: r.slice(2) })),
    (d) => d.box,
  );
  const file = path.join(outDir, 'nms-before-after.png');
  await saveGrid(file, [beforePanel, afterPanel], {
    cols: 2,
    titles: [`before NMS: ${before.length} boxes`, `after NMS: ${after.length} boxes`],
  });
  files.push(file);
}
tf.dispose([
  image,
  anchors,
  gtBoxes,
  labels,
  target.bboxOffset,
  target.bboxMask,
  target.classLabels,
  flatAnchors,
  assigned,
  iou,
  target4,
  trueOffsets,
  noisy,
  clsProbs,
  offsetPreds,
  detections,
  decoded,
]);

console.log('\nwritten:');
for (const f of files) {
  const ok = existsSync(f) && statSync(f).size > 0;
  check(ok, `${f} was not written`);
  console.log(`   ${path.relative(process.cwd(), f)}`);
}
const leaked = tf.memory().numTensors - tensorsAtStart;
check(leaked === 0, `${leaked} tensors leaked`);
if (args.check) {
  if (failures.length) {
    console.error(`\ncheck failed:\n- ${failures.join('\n- ')}`);
    process.exit(1);
  }
  console.log('\ncheck passed');
}
