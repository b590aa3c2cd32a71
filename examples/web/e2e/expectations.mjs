// What each page must produce, checked by e2e/run.mjs against window.__result and the page's canvases.
// Known values come from the seed (d2l's printed outputs), torchvision semantics, the Node examples' output
// (same inputs and seeds), or a formula computed here independently of the packages.
//
// Each entry is a check `async (result, t, prepared)`, or a list of runs `{ label, query, prepare, check }`
// (query: extra URL parameters; prepare: `{ script, dir, args, read }`, a Node script run before serving with
// the folder out/<dir> as its argument, served at out/<dir>/, its JSON files in `read` passed as `prepared`).
// `t` records failures instead of throwing:
//   t.equal(actual, expected, what)        deep equality (JSON)
//   t.close(actual, expected, tol, what)   numbers or nested arrays, |a − e| ≤ tol element-wise
//   t.ok(condition, what)
//   await t.pixel(canvasName, x, y)        [r, g, b, a] of a canvas (data-name) in the page
//   await t.size(canvasName)               [width, height]
//   await t.stats(canvasName)              { mean: [r, g, b], distinct } over the canvas

const d2lAnchor = (cx, cy, size, ratio, W, H) => {
  // d2l's multibox_prior: width size·√ratio·H/W, height size/√ratio (normalized), centred on the pixel.
  const w = (size * Math.sqrt(ratio) * H) / W;
  const h = size / Math.sqrt(ratio);
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
};

export const EXPECTATIONS = {
  async anchors(r, t) {
    const { width: W, height: H } = r.image;
    t.equal([W, H], [451, 300], 'photo size');
    t.equal(r.anchorsFullMap, 451 * 300 * 5, 'anchors of a 300x451 map (5 per pixel)');
    const cx = (Math.floor(W / 2) + 0.5) / W;
    const cy = (Math.floor(H / 2) + 0.5) / H;
    const pairs = [
      [0.75, 1],
      [0.5, 1],
      [0.25, 1],
      [0.75, 2],
      [0.75, 0.5],
    ];
    t.close(
      r.centerAnchors,
      pairs.map(([s, q]) => d2lAnchor(cx, cy, s, q, W, H)),
      1e-5,
      "the centre pixel's anchors (d2l's formula)",
    );
    t.equal(r.scaleCounts, [48, 12, 3], 'anchors at 4x4, 2x2, 1x1 with 3 per pixel');
    t.equal(r.anchorCount, 340, 'detector anchors: (64 + 16 + 4 + 1)·4');
    // The Node example prints the same table (examples/anchors, same boxes and maps).
    t.equal(
      r.positives.map((p) => [p.anchor, p.object, p.cls]),
      [
        [117, 2, 2],
        [119, 2, 2],
        [209, 3, 3],
        [276, 1, 2],
        [336, 0, 1],
        [337, 0, 1],
        [339, 0, 1],
      ],
      'positive anchors (anchor, object, class) as in Node',
    );
    t.close(
      r.positives.map((p) => p.iou),
      [0.62, 0.51, 0.74, 0.37, 0.8, 0.8, 0.66],
      0.006,
      'their IoUs',
    );
    t.equal(r.before, 19, 'boxes with confidence ≥ 0.4 before NMS (Node: 19)');
    t.equal(
      r.after.map((d) => d.c),
      [1, 2, 0, 1],
      'classes kept by NMS (eye, nose, head, eye)',
    );
    t.close(
      r.after.map((d) => d.p),
      [0.98, 0.98, 0.98, 0.67],
      0.006,
      'their confidences',
    );
    t.close(
      r.after.map((d) => d.box),
      [
        [0.65, 0.36, 0.76, 0.53],
        [0.51, 0.73, 0.65, 0.91],
        [0.07, 0.07, 0.83, 1.01],
        [0.3, 0.24, 0.46, 0.47],
      ],
      0.006,
      'their boxes (Node prints these)',
    );
    t.equal(r.nmsKept, 4, 'nms() keeps 4 of the 19');
    // Pixels: the right edge of each kept box, half-way down, has its class colour.
    t.equal(await t.size('nms-after'), [W, H], 'nms-after canvas size');
    for (const [i, d] of r.after.entries()) {
      const x = Math.max(Math.round(d.box[0] * W), Math.round(d.box[2] * W) - 1);
      const y = Math.round(((Math.max(0, d.box[1]) + Math.min(1, d.box[3])) / 2) * H);
      t.equal(
        (await t.pixel('nms-after', x, y)).slice(0, 3),
        r.classColors[d.c],
        `box ${i}'s right edge colour`,
      );
    }
    const photo = await t.stats('anchors-one-pixel');
    t.ok(photo.distinct > 1000, `the photo is drawn (${photo.distinct} distinct colours)`);
  },

  async 'transposed-conv'(r, t) {
    const seed = [
      [0, 0, 1],
      [0, 4, 6],
      [4, 12, 9],
    ];
    t.equal(r.transConv, seed, 'trans_conv(X, K)');
    t.equal(r.tconv.plain, seed, 'ConvTranspose2d, kernel 2');
    t.equal(r.tconv.padding1, [[4]], 'ConvTranspose2d, padding 1');
    t.equal(
      r.tconv.stride2,
      [
        [0, 0, 0, 1],
        [0, 0, 2, 3],
        [0, 2, 0, 3],
        [4, 6, 6, 9],
      ],
      'ConvTranspose2d, stride 2',
    );
    t.equal(r.shapes, { input: [1, 16, 16, 10], conv: [1, 6, 6, 20], tconv: [1, 16, 16, 10] }, 'shapes');
    t.equal(
      r.kernel2matrix,
      [
        [1, 2, 0, 3, 4, 0, 0, 0, 0],
        [0, 1, 2, 0, 3, 4, 0, 0, 0],
        [0, 0, 0, 1, 2, 0, 3, 4, 0],
        [0, 0, 0, 0, 1, 2, 0, 3, 4],
      ],
      'kernel2matrix(K)',
    );
    t.ok(r.matmulEqualsConv && r.matmulTEqualsTransConv, 'W·x = conv, Wᵀ·y = trans_conv');
    t.equal(r.convMatrixShape, [9, 25], 'convMatrix([5, 5], K, stride 2, padding 1) shape');
    t.equal(r.inputShape, [160, 240, 3], 'photo shape');
    t.equal(r.outputShape, [320, 480, 3], 'upsampled shape (H−1)·2 − 2 + 4');
    t.ok(r.interiorMaxDiff < 1e-5, `bilinear in the interior (max diff ${r.interiorMaxDiff})`);
    t.ok(r.borderMaxDiff > 0.05 && r.borderMaxDiff <= 0.5, `the frame differs (${r.borderMaxDiff})`);
    // Pixels: output and bilinear canvases agree inside; the difference image is dark inside, lit on the frame.
    t.equal(await t.size('output'), [480, 320], 'output canvas size');
    for (const [x, y] of [
      [5, 7],
      [240, 160],
      [401, 250],
      [100, 300],
    ]) {
      const a = await t.pixel('output', x, y);
      const b = await t.pixel('bilinear', x, y);
      t.ok(
        a.slice(0, 3).every((v, i) => Math.abs(v - b[i]) <= 1),
        `output ≈ bilinear at (${x}, ${y}): ${a} vs ${b}`,
      );
      t.equal((await t.pixel('difference', x, y)).slice(0, 3), [0, 0, 0], `no difference at (${x}, ${y})`);
    }
    const corner = await t.pixel('difference', 0, 0);
    t.ok(Math.max(...corner.slice(0, 3)) > 40, `the corner differs (${corner})`);
    const out = await t.stats('output');
    t.ok(
      out.distinct > 1000 && out.mean.some((m) => m > 40),
      `the output is a photo (${out.distinct} colours)`,
    );
  },

  async 'roi-pool'(r, t) {
    t.equal(r.seed, [5, 6, 9, 10, 9, 11, 13, 15], "the seed's roi_pool output (torchvision)");
    t.equal(r.seedShape, [2, 2, 2, 1], 'its shape (NHWC)');
    t.equal(r.seedGrad, [0, 0, 0, 0, 0, 1, 1, 0, 0, 2, 1, 1, 0, 1, 0, 1], 'its gradient (argmax cells)');
    t.equal(r.featureShape, [1, 26, 40, 4], 'feature map 208x320 / 8');
    t.equal(r.alignedShape, [6, 7, 7, 4], 'RoI align output');
    t.equal(r.pooledShape, [6, 7, 7, 4], 'RoI pool output');
    t.close(r.gradSum, 196, 1e-3, 'RoI align gradient sum = 7·7·4');
    const at = (v, k, i, j, c) => v[((k * 7 + i) * 7 + j) * 4 + c];
    t.equal(
      [0, 1, 2, 3].map((c) => at(r.pooled, 3, 0, 0, c)),
      r.faceBin00,
      'RoI pool "face" bin (0, 0) = max of its cells',
    );
    // RoI pool takes maxima of the cells that RoI align averages: never below it, for the face.
    const faceMax = (v) => Math.max(...v.slice(3 * 196, 4 * 196));
    t.ok(faceMax(r.pooled) >= faceMax(r.aligned) - 1e-6, 'pool maxima ≥ align averages (face)');
    // Pixels: each 7x7 bin is a 12x12 block of its value ·255; "outside" has zero top-row samples.
    for (const [k, i, j] of [
      [3, 0, 0],
      [0, 3, 4],
      [2, 6, 6],
    ]) {
      const px = (await t.pixel(`pool-${k}`, j * 12 + 6, i * 12 + 6)).slice(0, 3);
      const want = [0, 1, 2].map((c) => Math.round(Math.min(1, Math.max(0, at(r.pooled, k, i, j, c))) * 255));
      t.ok(
        px.every((v, c) => Math.abs(v - want[c]) <= 1),
        `pool-${k} bin (${i}, ${j}) pixel ${px} = value ${want}`,
      );
    }
    t.equal(
      (await t.pixel('align-4', 6, 6)).slice(0, 3),
      [0, 0, 0],
      '"outside": samples beyond the map are 0',
    );
    t.equal(await t.size('rois'), [320, 208], 'photo canvas size');
  },

  async 'core-train'(r, t) {
    t.ok(r.parity.against === 'cpu' || r.backend === 'cpu', 'gradients compared with the CPU backend');
    if (r.parity.against === 'cpu') {
      t.ok(
        r.parity.maxAbs <= 1e-4 * Math.max(1, r.parity.scale),
        `${r.backend} = cpu within 1e-4 (${r.parity.maxAbs.toExponential(2)})`,
      );
    }
    t.equal(r.losses.length, r.steps, 'one loss per step');
    t.ok(
      r.losses.every((v) => Number.isFinite(v) && v > 0),
      'finite losses',
    );
    const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
    const head = mean(r.losses.slice(0, 5));
    const tail = mean(r.losses.slice(-5));
    t.ok(tail < 0.7 * head, `the loss fell: ${head.toFixed(5)} → ${tail.toFixed(5)}`);
    const curve = await t.stats('loss-curve');
    t.ok(curve.distinct > 3, 'the loss curve is drawn');
    const pred = await t.stats('predicted-0');
    t.ok(pred.distinct > 8, `the predicted edges vary (${pred.distinct} grey levels)`);
  },

  ssd: [
    {
      label: 'ssd',
      // A short training run (the page's default is 20 steps of 4).
      query: 'steps=4&batch=2',
      async check(r, t) {
        t.equal(r.source, 'trained in the page', 'no weights given: trained in the page');
        t.equal(r.losses.length, 4, 'four training steps');
        t.ok(
          r.losses.every((v) => Number.isFinite(v) && v > 0),
          'finite losses',
        );
        // TinySSD at 128x128: maps 16, 8, 4, 2, 1 with 4 anchors per pixel.
        t.equal(r.anchors, (256 + 64 + 16 + 4 + 1) * 4, 'anchors at 128x128');
        t.equal(r.clsShape, [3, 1364, 2], 'class predictions [B, anchors, 1 + 1]');
        t.equal(r.bboxShape, [3, 1364 * 4], 'offset predictions [B, 4·anchors]');
        t.ok(r.roundTrip, 'safetensors round trip');
        for (const [b, list] of r.detections.entries()) {
          t.ok(list.length > 0 && list.length <= 10, `scene ${b}: 1..10 detections`);
          t.ok(
            list.every((d) => d.classId === 0 && d.score >= 0 && d.score <= 1),
            `scene ${b}: class 0, scores in [0, 1]`,
          );
          t.ok(
            list.every((d, i) => i === 0 || d.score <= list[i - 1].score),
            `scene ${b}: best first`,
          );
        }
        // Pixels: the ground-truth box (white) is drawn on the 128x128 scene.
        t.equal(await t.size('detections-0'), [128, 128], 'scene canvas size');
        const [x1, y1, x2, y2] = r.truth[0].map((v) => Math.round(v * 128));
        const y = Math.round((y1 + y2) / 2);
        t.equal(
          (await t.pixel('detections-0', Math.max(x1, x2 - 1), y)).slice(0, 3),
          [255, 255, 255],
          'the truth box edge is white',
        );
      },
    },
    {
      label: 'ssd-node-weights',
      // TinySSD weights trained and saved in plain Node (e2e/ssd-parity.mjs): the page must detect the same.
      query: 'weights=out/ssd-parity/tiny-ssd.safetensors',
      prepare: { script: 'e2e/ssd-parity.mjs', dir: 'ssd-parity', read: ['detections.json'] },
      async check(r, t, prepared) {
        const node = prepared['detections.json'];
        t.equal(r.source, 'weights', 'weights loaded from the file');
        t.equal(r.detections.length, node.detections.length, 'scenes');
        let maxDiff = 0;
        for (const [b, list] of node.detections.entries()) {
          const page = r.detections[b] ?? [];
          t.equal(page.length, list.length, `scene ${b}: as many detections as in Node`);
          for (const [i, d] of list.entries()) {
            const p = page[i];
            if (!p) continue;
            t.equal(p.classId, d.classId, `scene ${b} detection ${i}: class`);
            maxDiff = Math.max(
              maxDiff,
              Math.abs(p.score - d.score),
              ...p.box.map((v, k) => Math.abs(v - d.box[k])),
            );
          }
        }
        t.ok(
          maxDiff <= 1e-4,
          `detections equal Node's within 1e-4 (max difference ${maxDiff.toExponential(2)})`,
        );
        r.note = `max |page − Node| ${maxDiff.toExponential(1)}`;
      },
    },
  ],

  fcn: [{ label: 'fcn', query: 'steps=3', check: checkFcn }],
  'style-transfer': [{ label: 'style-transfer', query: 'size=32x48&steps=6', check: checkStyle }],
};

async function checkFcn(r, t) {
  t.equal(r.size, [96, 128], 'scene size');
  t.equal(r.logitsShape, [1, 96, 128, 21], 'logits [1, H, W, 21]');
  // torchvision's resnet18 without fc (11,689,512 − 513,000) + 1x1 conv 512→21 + ConvTranspose2d 21→21 k64.
  t.equal(r.parameters, 11689512 - 513000 + (512 * 21 + 21) + (21 * 21 * 64 * 64 + 21), 'parameter count');
  t.equal(r.losses.length, r.steps, 'one loss per step');
  t.ok(
    r.losses.at(-1) < r.losses[0],
    `fitting one batch lowers the loss (${r.losses[0].toFixed(3)} → ${r.losses.at(-1).toFixed(3)})`,
  );
  for (const name of ['scene', 'photo']) {
    const p = r.predictions[name];
    t.equal(p.predShape, p.inputShape.slice(0, 2), `${name}: prediction [H, W]`);
    t.ok(
      p.classes.every((c) => Number.isInteger(c) && c >= 0 && c <= 20),
      `${name}: classes in 0..20`,
    );
    // Pixels: label2image paints each pixel with VOC's colour of its class (computed here from the bits).
    for (const s of p.samples) {
      const px = (await t.pixel(`${name}-prediction`, s.x, s.y)).slice(0, 3);
      t.equal(px, vocColor(s.cls), `${name} (${s.x}, ${s.y}): class ${s.cls}'s VOC colour`);
    }
  }
  t.equal(
    r.predictions.photo.inputShape,
    [300, 451, 3],
    'the photo is not a multiple of 32 (padded, cropped back)',
  );
}

async function checkStyle(r, t) {
  t.equal(r.lastLayer, 28, "VGG-19 built up to layer 28 (d2l's deepest style layer)");
  // features 0..28 hold 13 convolutions: a weight and a bias each.
  t.equal(r.parameterTensors, 26, 'parameter tensors of features 0..28');
  t.equal(r.losses.length, r.steps, 'one loss record per step');
  t.ok(r.losses.at(-1).total < r.losses[0].total, 'the total loss fell');
  t.ok(r.losses.at(-1).style < r.losses[0].style, 'the style loss fell');
  t.equal(r.outputShape, [...r.size, 3], 'result [H, W, 3]');
  t.ok(r.range[0] >= 0 && r.range[1] <= 1, `result in [0, 1] (${r.range})`);
  t.ok(r.meanChange > 0.005, `the image moved away from the content (${r.meanChange.toFixed(3)})`);
  // Pixels: the live preview holds the final image, which differs from the content image.
  t.equal(await t.size('preview'), [r.size[1], r.size[0]], 'preview canvas size');
  const [a, b] = [await t.stats('preview'), await t.stats('content')];
  t.ok(a.distinct > 100, `the preview is an image (${a.distinct} colours)`);
  t.ok(
    a.mean.some((m, i) => Math.abs(m - b.mean[i]) > 0.5),
    `the preview differs from the content (${a.mean.map((m) => m.toFixed(1))} vs ${b.mean.map((m) => m.toFixed(1))})`,
  );
}

/** Pascal VOC's colour map (the bit-interleaving rule of the VOC devkit's VOClabelcolormap.m). */
function vocColor(c) {
  const rgb = [0, 0, 0];
  for (let j = 0, v = c; j < 8; j++, v >>= 3) for (let k = 0; k < 3; k++) rgb[k] |= ((v >> k) & 1) << (7 - j);
  return rgb;
}
