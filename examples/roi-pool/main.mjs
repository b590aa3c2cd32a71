#!/usr/bin/env node
// @cv/roi-pool example: the seed's RoI pooling example (d2l §8.2), then RoIs on the feature map of a real
// photo: the boxes drawn on the photo and the pooled 7x7 grids written as PNG files.
//
//   node main.mjs [--backend wasm|cpu] [--out out] [--check]
//
// There is no pretrained backbone offline, so the "feature map" of the photo is a fixed, hand-made one,
// said so in the output: the photo's colour (R, G, B) and its Sobel edge strength, each averaged over 8x8
// pixel cells (a stride-8 map, spatial scale 1/8). RoI pooling and RoI align do not care where features come
// from: with a real CNN backbone the same calls pool its feature map.
//
// --check (used by `pnpm test`) also verifies the results and exits non-zero on any failure.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, readImage, saveBoxes, saveGrid } from '@cv/core';
import { roiAlign, roiPool } from '@cv/roi-pool';
import * as tf from '@tensorflow/tfjs-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string', default: path.join(here, 'out') },
    check: { type: 'boolean', default: false },
  },
});
const info = await initBackend(args.backend, { log: false });
console.log(`backend: ${info.name}`);
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
  if (args.check) console.log(`  check ${ok ? 'ok  ' : 'FAIL'} ${what}`);
};

/** A tensor printed like PyTorch prints [K, C, h, w] (our layout is [K, h, w, C]). */
function formatNchw(t) {
  const [K, h, w, C] = t.shape;
  const v = t.arraySync();
  const fmt = (x) => `${x.toFixed(0)}.`.padStart(4);
  const rois = [];
  for (let k = 0; k < K; k++) {
    const chans = [];
    for (let c = 0; c < C; c++) {
      const rows = [];
      for (let i = 0; i < h; i++)
        rows.push(`[${Array.from({ length: w }, (_, j) => fmt(v[k][i][j][c])).join(',')}]`);
      chans.push(`[${rows.join(',\n          ')}]`);
    }
    rois.push(`[${chans.join(',\n')}]`);
  }
  return `tensor([${rois.join(',\n\n        ')}])`;
}

// --- 1. The seed's example (d2l §8.2, torchvision.ops.roi_pool) ---------------------------------------
console.log(
  '\n1. d2l §8.2: X = torch.arange(16.).reshape(1, 1, 4, 4), two RoIs, output 2x2, spatial_scale 0.1',
);
const X = tf.tidy(() => tf.reshape(tf.range(0, 16), [1, 4, 4, 1])); // NHWC
const seedRois = [
  [0, 0, 0, 20, 20],
  [0, 0, 10, 30, 30],
];
const seedOut = roiPool(X, seedRois, [2, 2], 0.1);
console.log(formatNchw(seedOut));
const expected = [5, 6, 9, 10, 9, 11, 13, 15]; // the seed's printed numbers
const seedOk = Array.from(seedOut.dataSync()).every((v, i) => v === expected[i]);
console.log(seedOk ? "matches the seed's output exactly." : "DIFFERS from the seed's output!");
check(seedOk, "roiPool reproduces the seed's numbers");
// Its gradient: each output's gradient goes to the cell holding the maximum (torchvision's argmax).
const seedGrad = tf.grad((x) => tf.sum(roiPool(x, seedRois, [2, 2], 0.1)))(X);
console.log(
  'gradient of the sum w.r.t. X (4x4):',
  JSON.stringify(tf.tidy(() => tf.reshape(seedGrad, [4, 4]).arraySync())),
);
check(
  JSON.stringify(Array.from(seedGrad.dataSync())) ===
    JSON.stringify([0, 0, 0, 0, 0, 1, 1, 0, 0, 2, 1, 1, 0, 1, 0, 1]),
  'roiPool gradient goes to the argmax cells',
);
tf.dispose([X, seedOut, seedGrad]);

// --- 2. RoIs on a photo --------------------------------------------------------------------------------
const photoPath = path.join(here, 'data', 'chelsea.jpg');
const image = await readImage(photoPath, { dtype: 'float32' }); // [208, 320, 3] in [0, 1]
const [H, W] = image.shape;
const STRIDE = 8;
console.log(`\n2. RoIs on a photo: data/chelsea.jpg (${W}x${H}, CC0, see data/LICENSES.md)`);
console.log(
  `   feature map: NOT a trained CNN (none is available offline) but a fixed, hand-made one: the photo's\n` +
    `   R, G, B and Sobel edge strength, each averaged over ${STRIDE}x${STRIDE} cells -> [1, ${H / STRIDE}, ${W / STRIDE}, 4], spatial scale 1/${STRIDE}.`,
);
const features = tf.tidy(() => {
  const x = tf.expandDims(image, 0); // [1, H, W, 3]
  const gray = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), -1, true);
  const sobel = tf.tensor4d([-1, 0, 1, -2, 0, 2, -1, 0, 1, -1, -2, -1, 0, 0, 0, 1, 2, 1], [2, 3, 3, 1]);
  const kernels = tf.transpose(sobel, [1, 2, 3, 0]); // [3, 3, 1, 2]: d/dx and d/dy
  const g = tf.conv2d(gray, kernels, 1, 'same');
  const edges = tf.sqrt(tf.sum(tf.square(g), -1, true)); // [1, H, W, 1]
  const perPixel = tf.concat([x, tf.div(edges, 4)], -1); // [1, H, W, 4], edges scaled to about [0, 1]
  return tf.avgPool(perPixel, STRIDE, STRIDE, 'valid'); // [1, H/8, W/8, 4]
});
// RoIs (batch index, x1, y1, x2, y2) in photo pixels.
const named = [
  ['left eye', [92, 58, 152, 108]],
  ['right eye', [200, 74, 248, 118]],
  ['nose', [158, 146, 208, 190]],
  ['face', [40, 0, 290, 208]],
  ['outside', [262, -40, 352, 60]],
  ['tiny', [118, 80, 123, 85]],
];
const rois = named.map(([, box]) => [0, ...box]);
const OUT = 7;
const aligned = roiAlign(features, rois, OUT, { spatialScale: 1 / STRIDE, samplingRatio: 2, aligned: true });
const pooled = roiPool(features, rois, OUT, 1 / STRIDE);
// For comparison, the photo itself under each box: RoI align on the pixels (scale 1), 84x84.
const TILE = 84;
const crops = roiAlign(tf.expandDims(image, 0), rois, TILE, { samplingRatio: 2, aligned: true });

mkdirSync(args.out, { recursive: true });
const boxesFile = path.join(args.out, 'rois.png');
await saveBoxes(
  boxesFile,
  image,
  named.map(([, b]) => b),
  {
    boxFormat: 'pixels',
    labels: named.map(([name]) => name),
  },
);
// The grid: per RoI, the photo crop, RoI align (colour channels), RoI pool (colour), RoI align (edges).
const up = (t) => tf.image.resizeNearestNeighbor(t, [TILE, TILE]); // 7x7 cells shown as 12x12 pixel blocks
// Edge strengths shown relative to the strongest cell of the map.
const edgeMax = tf.max(tf.slice(features, [0, 0, 0, 3], [1, H / STRIDE, W / STRIDE, 1])).dataSync()[0];
const tiles = [];
const titles = [];
for (let k = 0; k < rois.length; k++) {
  const name = named[k][0];
  const a = tf.slice(aligned, [k, 0, 0, 0], [1, OUT, OUT, 4]);
  const p = tf.slice(pooled, [k, 0, 0, 0], [1, OUT, OUT, 4]);
  tiles.push(
    tf.clipByValue(tf.squeeze(tf.slice(crops, [k, 0, 0, 0], [1, TILE, TILE, 3]), [0]), 0, 1),
    tf.clipByValue(tf.squeeze(up(tf.slice(a, [0, 0, 0, 0], [1, OUT, OUT, 3])), [0]), 0, 1),
    tf.clipByValue(tf.squeeze(up(tf.slice(p, [0, 0, 0, 0], [1, OUT, OUT, 3])), [0]), 0, 1),
    tf.clipByValue(
      tf.tile(tf.squeeze(up(tf.div(tf.slice(a, [0, 0, 0, 3], [1, OUT, OUT, 1]), edgeMax)), [0]), [1, 1, 3]),
      0,
      1,
    ),
  );
  titles.push(name, 'align', 'pool', 'edges');
  const mean = Array.from(tf.mean(a, [0, 1, 2]).dataSync()).map((v) => v.toFixed(2));
  console.log(
    `   ${name.padEnd(15)} box [${named[k][1].join(', ')}]: RoI align 7x7 mean R,G,B ${mean.slice(0, 3).join(', ')}, edges ${mean[3]}`,
  );
}
const gridFile = path.join(args.out, 'pooled.png');
await saveGrid(gridFile, tiles, { cols: 4, titles });
console.log(
  `   wrote ${path.relative(process.cwd(), boxesFile)} (the boxes) and ${path.relative(process.cwd(), gridFile)}`,
);
console.log(
  '   (per RoI: the photo under the box, RoI align 7x7 of the colour channels, RoI pool 7x7, RoI align of the edges)',
);

// The gradient with respect to the features is what trains a backbone under a detection head: for RoI
// align every bin's sample weights sum to 1, so the gradient of the sum over a box that lies inside the map
// sums to the number of outputs.
const gradSum = tf.tidy(
  () =>
    tf
      .sum(
        tf.grad((f) =>
          tf.sum(roiAlign(f, [rois[0]], OUT, { spatialScale: 1 / STRIDE, samplingRatio: 2, aligned: true })),
        )(features),
      )
      .dataSync()[0],
);
console.log(
  `   d(sum of RoI align of "left eye")/d(features) sums to ${gradSum.toFixed(3)} (= 7·7·4 = 196 outputs)`,
);

if (args.check) {
  check(
    Math.abs(gradSum - OUT * OUT * 4) < 1e-3,
    'roiAlign gradient of an inside box sums to the output count',
  );
  check(
    aligned.shape.join() === '6,7,7,4' && pooled.shape.join() === '6,7,7,4',
    'output shapes [6, 7, 7, 4]',
  );
  // The seed's semantics on the photo: RoI pool = max over torchvision's bins (checked on one bin by hand).
  const bin = tf.tidy(() => {
    // "face" [40, 0, 290, 208] at 1/8 → cells x 5..36, y 0..26 (rounded), 32x27 cells in 7x7 bins;
    // bin (0, 0): rows floor(0)..ceil(27/7) = 0..4, columns 5 + 0..ceil(32/7) = 5..10
    const cells = tf.slice(features, [0, 0, 5, 0], [1, 4, 5, 4]);
    return Array.from(tf.max(cells, [0, 1, 2]).dataSync());
  });
  const got = Array.from(tf.slice(pooled, [3, 0, 0, 0], [1, 1, 1, 4]).dataSync());
  check(
    got.every((v, i) => v === bin[i]),
    'roiPool bin (0, 0) of "face" is the max of its cells',
  );
  // RoI pool of the whole face takes maxima: never below RoI align's averages of the same cells.
  const faceA = tf.max(tf.slice(aligned, [3, 0, 0, 0], [1, OUT, OUT, 4])).dataSync()[0];
  const faceP = tf.max(tf.slice(pooled, [3, 0, 0, 0], [1, OUT, OUT, 4])).dataSync()[0];
  check(faceP >= faceA - 1e-6, 'roiPool maxima ≥ roiAlign averages over the face');
  // The box partly outside: RoI align samples beyond one cell outside the map are 0.
  const outside = tf.slice(aligned, [4, 0, 0, 0], [1, 1, OUT, 1]).dataSync();
  check(
    outside[0] === 0 && outside[OUT - 1] === 0,
    'samples far outside the map are 0 (top row of "outside")',
  );
  for (const f of [boxesFile, gridFile])
    check(existsSync(f) && statSync(f).size > 1000, `wrote ${path.basename(f)}`);
}
tf.dispose([image, features, aligned, pooled, crops, ...tiles]);
if (failures.length) {
  console.error(`\n${failures.length} check(s) failed: ${failures.join('; ')}`);
  process.exit(1);
}
if (args.check) console.log('\nall checks passed');
