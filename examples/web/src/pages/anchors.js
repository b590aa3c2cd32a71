// @cv/anchors on a photo, the browser twin of examples/anchors/main.mjs (same boxes, same seeded noise, so
// the same numbers): anchors at one pixel and at three scales, anchors labelled for hand-drawn ground truth
// (multiboxTarget), and class-agnostic NMS of noisy predictions (multiboxDetection, nms).
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
import { drawBoxes, Rng } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

const CLASSES = ['head', 'eye', 'nose'];
/** One colour per class, shared with the end-to-end test's pixel checks (through the result). */
const CLASS_COLORS = [
  [255, 64, 64],
  [64, 160, 255],
  [255, 200, 0],
];
// Hand-drawn ground truth on chelsea.png, normalized corners.
const OBJECTS = [
  { cls: 0, box: [0.07, 0.0, 0.86, 1.0] },
  { cls: 1, box: [0.3, 0.28, 0.46, 0.49] },
  { cls: 1, box: [0.65, 0.36, 0.76, 0.54] },
  { cls: 2, box: [0.51, 0.74, 0.65, 0.89] },
];
// The anchors of a small multi-scale detector: 4 per pixel (2 sizes + 2 more ratios) on 8x8 ... 1x1 maps.
const SCALES = [
  { h: 8, w: 8, sizes: [0.1, 0.16] },
  { h: 4, w: 4, sizes: [0.3, 0.45] },
  { h: 2, w: 2, sizes: [0.6, 0.75] },
  { h: 1, w: 1, sizes: [0.9, 0.95] },
];
const SHOW = 0.4; // confidence shown before/after NMS

export async function run(ctx) {
  const image = await ctx.loadImage('chelsea.png'); // [300, 451, 3] int32
  const [H, W] = image.shape;
  const result = { image: { width: W, height: H }, classColors: CLASS_COLORS };

  // 1. Anchors at one pixel of a map as large as the image, then at three scales.
  ctx.section(
    '1. Anchor boxes (multiboxPrior)',
    `sizes 0.75, 0.5, 0.25 with ratio 1, and ratios 2 and 0.5 with size 0.75: five anchors per pixel of a ${H}x${W} map.`,
  );
  {
    const all = tf.tidy(() => multiboxPrior(tf.zeros([1, H, W, 1]), [0.75, 0.5, 0.25], [1, 2, 0.5]));
    result.anchorsFullMap = all.shape[1];
    const first = (Math.floor(H / 2) * W + Math.floor(W / 2)) * 5;
    const five = tf.tidy(() => tf.slice(all, [0, first, 0], [1, 5, 4]).reshape([5, 4]));
    result.centerAnchors = five.arraySync();
    ctx.text(`${all.shape[1].toLocaleString('en')} anchors; the five centred on the middle pixel:`);
    const row = ctx.row();
    await ctx.image(
      drawBoxes(image, five, {
        labels: ['s=0.75, r=1', 's=0.5, r=1', 's=0.25, r=1', 's=0.75, r=2', 's=0.75, r=0.5'],
      }),
      { name: 'anchors-one-pixel', caption: 'the 5 anchors of the centre pixel', into: row },
    );
    tf.dispose([all, five]);
    result.scaleCounts = [];
    for (const s of [
      { h: 4, w: 4, size: 0.15 },
      { h: 2, w: 2, size: 0.4 },
      { h: 1, w: 1, size: 0.8 },
    ]) {
      const a = tf.tidy(() =>
        multiboxPrior(tf.zeros([1, s.h, s.w, 1]), [s.size], [1, 2, 0.5]).reshape([-1, 4]),
      );
      result.scaleCounts.push(a.shape[0]);
      await ctx.image(drawBoxes(image, a, { lineWidth: 1 }), {
        name: `anchors-${s.h}x${s.w}`,
        caption: `${s.h}x${s.w} map, size ${s.size}: ${a.shape[0]} anchors`,
        into: row,
      });
      a.dispose();
    }
  }

  // 2. Labelling anchors with classes and offsets.
  const anchors = tf.tidy(() =>
    tf.concat(
      SCALES.map((s) => multiboxPrior(tf.zeros([1, s.h, s.w, 1]), s.sizes, [1, 2, 0.5])),
      1,
    ),
  );
  const N = anchors.shape[1];
  const flatAnchors = anchors.reshape([N, 4]);
  const gtBoxes = tf.tensor2d(OBJECTS.map((o) => o.box));
  const labels = tf.tensor3d([OBJECTS.map((o) => [o.cls, ...o.box])]);
  const target = multiboxTarget(anchors, labels);
  const assigned = assignAnchorToBbox(gtBoxes, flatAnchors);
  const iou = boxIou(flatAnchors, gtBoxes);
  const [cls, off, map, iouV, anc] = await Promise.all(
    [target.classLabels, target.bboxOffset, assigned, iou, flatAnchors].map((t) => t.data()),
  );
  ctx.section(
    `2. Labelling ${N} anchors for 4 objects (multiboxTarget)`,
    `${SCALES.map((s) => `${s.h}x${s.w}`).join(', ')} maps, 4 anchors per pixel; white: ground truth, coloured: the positive anchors by class.`,
  );
  const positives = [];
  const rows = [];
  for (let i = 0; i < N; i++) {
    if (cls[i] === 0) continue;
    const j = map[i];
    positives.push({ anchor: i, object: j, cls: cls[i], iou: iouV[i * OBJECTS.length + j] });
    rows.push([
      i,
      `[${Array.from(anc.subarray(i * 4, i * 4 + 4), (v) => v.toFixed(2)).join(', ')}]`,
      `${CLASSES[OBJECTS[j].cls]} #${j}`,
      iouV[i * OBJECTS.length + j].toFixed(2),
      cls[i],
      Array.from(off.subarray(i * 4, i * 4 + 4), (v) => v.toFixed(2)).join(' '),
    ]);
  }
  result.anchorCount = N;
  result.positives = positives;
  ctx.table(['anchor', 'box', 'object', 'IoU', 'class', 'offsets (dx, dy, dw, dh)'], rows, 'positives');
  for (let j = 0; j < OBJECTS.length; j++)
    ctx.check(
      positives.some((p) => p.object === j),
      `object ${j} (${CLASSES[OBJECTS[j].cls]}) has an anchor`,
    );
  ctx.check(
    positives.every((p) => p.cls === OBJECTS[p.object].cls + 1),
    'class labels are the assigned objects’ classes + 1',
  );
  await ctx.image(
    drawBoxes(
      image,
      [
        ...OBJECTS.map((o) => o.box),
        ...positives.map((p) => Array.from(anc.subarray(p.anchor * 4, p.anchor * 4 + 4))),
      ],
      {
        labels: [...OBJECTS.map((o) => CLASSES[o.cls]), ...positives.map((p) => `a${p.anchor}`)],
        colors: [
          ...OBJECTS.map(() => [255, 255, 255]),
          ...positives.map((p) => CLASS_COLORS[OBJECTS[p.object].cls]),
        ],
      },
    ),
    { name: 'assigned-anchors', caption: `${positives.length} positive anchors of ${N}` },
  );

  // 3. NMS of the predictions a trained detector might make: confidence grows with the IoU, offsets point
  //    at the object plus noise (the Node example's seeds: Rng(7), randomNormal seed 3).
  const rng = new Rng(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const C = CLASSES.length;
  const probs = new Float32Array((C + 1) * N);
  const bestObj = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let b = 0;
    for (let j = 1; j < OBJECTS.length; j++)
      if (iouV[i * OBJECTS.length + j] > iouV[i * OBJECTS.length + b]) b = j;
    bestObj[i] = b;
    const p = Math.min(0.98, Math.max(0.01, iouV[i * OBJECTS.length + b] * 1.6 + 0.05 * normal()));
    probs[i] = 1 - p;
    probs[(OBJECTS[b].cls + 1) * N + i] = p;
  }
  const target4 = tf.tidy(() => tf.gather(gtBoxes, tf.tensor1d(Array.from(bestObj), 'int32')));
  const trueOffsets = offsetBoxes(flatAnchors, target4);
  const noisy = tf.tidy(() => tf.add(trueOffsets, tf.mul(tf.randomNormal([N, 4], 0, 1, 'float32', 3), 0.4)));
  const clsProbs = tf.tensor3d(probs, [1, C + 1, N]);
  const offsetPreds = noisy.reshape([1, 4 * N]);
  const detections = multiboxDetection(clsProbs, offsetPreds, anchors, { nmsThreshold: 0.5 });
  const decoded = offsetInverse(flatAnchors, noisy);
  const [detRows, dec] = [(await detections.array())[0], await decoded.data()];
  const before = [];
  for (let i = 0; i < N; i++) {
    let best = 0;
    for (let c = 1; c <= C; c++) if (probs[c * N + i] > probs[best * N + i]) best = c;
    if (best > 0 && probs[best * N + i] >= SHOW)
      before.push({ c: best - 1, p: probs[best * N + i], box: Array.from(dec.subarray(i * 4, i * 4 + 4)) });
  }
  const after = detRows
    .filter((r) => r[0] >= 0 && r[1] >= SHOW)
    .map((r) => ({ c: r[0], p: r[1], box: r.slice(2) }));
  const b = tf.tensor2d(
    before.map((d) => d.box),
    [before.length, 4],
  );
  const s = tf.tensor1d(before.map((d) => d.p));
  const keep = nms(b, s, 0.5, { semantics: 'd2l' });
  result.nmsKept = keep.shape[0];
  tf.dispose([b, s, keep]);
  result.before = before.length;
  result.after = after;
  ctx.section(
    `3. Non-maximum suppression (multiboxDetection, threshold 0.5)`,
    `confidence ≥ ${SHOW}: ${before.length} boxes before NMS, ${after.length} after; nms() on the same ${before.length} boxes keeps ${result.nmsKept}.`,
  );
  ctx.check(after.length < before.length, 'NMS removed boxes');
  for (const cl of new Set(OBJECTS.map((o) => o.cls)))
    ctx.check(
      after.some((d) => d.c === cl),
      `NMS kept ${cl === 1 ? 'an' : 'a'} ${CLASSES[cl]}`,
    );
  ctx.check(result.nmsKept === after.length, 'nms() keeps as many boxes as multiboxDetection');
  const draw = (list) =>
    drawBoxes(
      image,
      list.map((d) => d.box),
      {
        labels: list.map((d) => `${CLASSES[d.c]}=${d.p.toFixed(2)}`),
        colors: list.map((d) => CLASS_COLORS[d.c]),
        lineWidth: 1,
        fontScale: 1,
      },
    );
  const row = ctx.row();
  await ctx.image(draw(before), {
    name: 'nms-before',
    caption: `before NMS: ${before.length} boxes`,
    into: row,
  });
  await ctx.image(draw(after), { name: 'nms-after', caption: `after NMS: ${after.length} boxes`, into: row });
  ctx.table(
    ['class', 'confidence', 'box'],
    after.map((d) => [CLASSES[d.c], d.p.toFixed(2), `[${d.box.map((v) => v.toFixed(2)).join(', ')}]`]),
    'detections',
  );

  tf.dispose([
    image,
    anchors,
    flatAnchors,
    gtBoxes,
    labels,
    target.classLabels,
    target.bboxMask,
    target.bboxOffset,
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
  return result;
}
