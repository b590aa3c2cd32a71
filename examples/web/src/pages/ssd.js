// @cv/ssd in the browser: d2l's TinySSD (§13.7) on banana-style scenes made in the page (src/lib/bananas.js).
//   ?weights=<url>  weights saved by ssdToSafetensors (the Node example's file, or the one e2e/ssd-parity.mjs
//                   writes): loaded, then detection only; the detections are published for comparison with Node
//   otherwise       a TinySSD trained here for ?steps= (default 20) steps of ?batch= (4) scenes at ?size= (128)
//                   with SGD (lr 0.2, weight decay 5e-4, d2l's), with a progress bar, then detection
// Either way it detects on ?test= (3) held-out scenes (seeds 1000, 1001, …) and draws the boxes.
import { drawBoxes, SGD } from '@cv/core';
import { detect, ssdFromSafetensors, ssdToSafetensors, tinySsd, trainStep } from '@cv/ssd';
import * as tf from '@tensorflow/tfjs-core';
import { bananaBatch, TEST_SEED } from '../lib/bananas.js';

const int = (params, name, fallback) => {
  const v = Number(params.get(name) ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`?${name}= must be a positive integer, got ${v}`);
  return v;
};

export async function run(ctx) {
  const size = int(ctx.params, 'size', 128);
  const nTest = int(ctx.params, 'test', 3);
  const weightsUrl = ctx.params.get('weights');
  const result = { size, source: weightsUrl ? 'weights' : 'trained in the page' };
  let model;
  if (weightsUrl) {
    ctx.section('1. Weights', `loading ${weightsUrl} (written by ssdToSafetensors)`);
    const res = await fetch(new URL(weightsUrl, document.baseURI));
    if (!res.ok) throw new Error(`loading ${weightsUrl}: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    model = ssdFromSafetensors(bytes);
    result.weightBytes = bytes.length;
    ctx.text(`${(bytes.length / 1024).toFixed(0)} kB, config ${JSON.stringify(model.config)}`);
  } else {
    const steps = int(ctx.params, 'steps', 20);
    const batch = int(ctx.params, 'batch', 4);
    model = tinySsd({ numClasses: 1 });
    ctx.section(
      `1. Training TinySSD: ${steps} steps of ${batch} scenes at ${size}x${size}`,
      "No weights given (?weights=<url of a .safetensors saved by the Node example>), so the page trains d2l's TinySSD from scratch: SGD lr 0.2, weight decay 5e-4, the seed's loss (cross-entropy + L1 on offsets).",
    );
    const optimizer = new SGD(Object.fromEntries(model.namedParameters()), { lr: 0.2, weightDecay: 5e-4 });
    const bar = ctx.progress('training');
    const losses = [];
    const t0 = performance.now();
    for (let step = 0; step < steps; step++) {
      const seeds = Array.from({ length: batch }, (_, i) => 1 + step * batch + i);
      const b = bananaBatch(seeds, size);
      const images = tf.tensor4d(b.images, b.shape);
      const labels = tf.tensor3d(b.labels);
      const r = await trainStep(model, optimizer, images, labels);
      tf.dispose([images, labels]);
      losses.push(r.loss);
      const s = (performance.now() - t0) / 1000;
      bar.update(
        (step + 1) / steps,
        `step ${step + 1}/${steps}, loss ${r.loss.toFixed(4)}, class accuracy ${((100 * r.correct) / r.anchors).toFixed(1)}%, box MAE ${(r.absError / r.boxEntries).toExponential(2)}, ${(((step + 1) * batch) / s).toFixed(1)} examples/s`,
      );
      await ctx.nextFrame();
    }
    optimizer.dispose();
    result.losses = losses;
    result.examplesPerSecond = (steps * batch) / ((performance.now() - t0) / 1000);
    ctx.text(
      `loss ${losses[0].toFixed(4)} (step 1) → ${losses.at(-1).toFixed(4)} (step ${steps}), ${result.examplesPerSecond.toFixed(1)} examples/s`,
    );
    ctx.check(losses.at(-1) < losses[0], 'the training loss fell');
    // The weights round-trip through safetensors (what the Node example saves).
    const copy = ssdFromSafetensors(ssdToSafetensors(model));
    result.roundTrip = JSON.stringify(copy.config) === JSON.stringify(model.config);
    copy.dispose();
    ctx.check(result.roundTrip, 'the weights round-trip through ssdToSafetensors / ssdFromSafetensors');
  }

  ctx.section(
    `2. Detection on ${nTest} held-out scenes`,
    'multiboxDetection (class-agnostic NMS 0.5); the three most confident boxes drawn, the best in red; the white box is the ground truth.',
  );
  const test = bananaBatch(
    Array.from({ length: nTest }, (_, i) => TEST_SEED + i),
    size,
  );
  const images = tf.tensor4d(test.images, test.shape);
  model.eval(); // BatchNorm with its running statistics (and no update of them), as detect() does
  const out = model.apply(images);
  result.anchors = out.anchors.shape[1];
  result.clsShape = out.clsPreds.shape;
  result.bboxShape = out.bboxPreds.shape;
  tf.dispose([out.anchors, out.clsPreds, out.bboxPreds]);
  const detections = await detect(model, images, { scoreThreshold: 0, maxDetections: 10 });
  result.detections = detections.map((list) =>
    list.map((d) => ({ classId: d.classId, score: d.score, box: d.boxNormalized })),
  );
  result.truth = test.labels.map((l) => l[0].slice(1));
  const row = ctx.row();
  for (let b = 0; b < nTest; b++) {
    const img = tf.tidy(() => tf.slice(images, [b, 0, 0, 0], [1, -1, -1, -1]).squeeze([0]));
    const shown = detections[b].slice(0, 3);
    // The truth last, so that a detection drawn across it never hides its white edge.
    const px = drawBoxes(img, [...shown.map((d) => d.boxNormalized), result.truth[b]], {
      labels: [...shown.map((d) => `banana=${d.score.toFixed(2)}`), ''],
      colors: [...shown.map((_, i) => (i === 0 ? [255, 40, 40] : [70, 140, 255])), [255, 255, 255]],
      lineWidth: 1,
      fontScale: 1,
    });
    img.dispose();
    const best = detections[b][0];
    await ctx.image(px, {
      name: `detections-${b}`,
      caption: best
        ? `best: ${best.score.toFixed(3)}, IoU with truth ${iou(best.boxNormalized, result.truth[b]).toFixed(2)}`
        : 'no detection',
      zoom: 2,
      into: row,
    });
  }
  result.bestIou = result.detections.map((list, b) => (list[0] ? iou(list[0].box, result.truth[b]) : 0));
  ctx.check(
    result.detections.every((l) => l.length > 0),
    'every scene has detections',
  );
  images.dispose();
  model.dispose();
  return result;
}

function iou(a, b) {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}
