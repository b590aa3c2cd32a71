// @cv/roi-pool in the browser, the twin of examples/roi-pool/main.mjs: the seed's roi_pool example and its
// gradient, then six RoIs pooled (RoI pool and RoI align, 7x7) from a feature map of a photo.
//
// The "feature map" is hand-made, not a trained CNN (none is available offline): the photo's R, G, B and
// Sobel edge strength, each averaged over 8x8 pixel cells (stride 8, spatial scale 1/8). RoI pooling does
// not care where features come from.
import { drawBoxes } from '@cv/core';
import { roiAlign, roiPool } from '@cv/roi-pool';
import * as tf from '@tensorflow/tfjs-core';

const STRIDE = 8;
const OUT = 7;
const TILE = 84;
// RoIs in pixels of the 320x208 photo: [x1, y1, x2, y2].
const NAMED = [
  ['left eye', [92, 58, 152, 108]],
  ['right eye', [200, 74, 248, 118]],
  ['nose', [158, 146, 208, 190]],
  ['face', [40, 0, 290, 208]],
  ['outside', [262, -40, 352, 60]],
  ['tiny', [118, 80, 123, 85]],
];

/** [K, h, w, C] as PyTorch prints [K, C, h, w]. */
function formatNchw(values, [K, h, w, C]) {
  const at = (k, i, j, c) => values[((k * h + i) * w + j) * C + c];
  const rois = [];
  for (let k = 0; k < K; k++) {
    const chans = [];
    for (let c = 0; c < C; c++) {
      const rows = [];
      for (let i = 0; i < h; i++)
        rows.push(`[${Array.from({ length: w }, (_, j) => `${at(k, i, j, c)}.`.padStart(4)).join(',')}]`);
      chans.push(`[${rows.join(',\n          ')}]`);
    }
    rois.push(`[${chans.join(',\n')}]`);
  }
  return `tensor([${rois.join(',\n\n        ')}])`;
}

export async function run(ctx) {
  const result = {};
  ctx.section(
    "1. The seed's example (d2l §8.2, torchvision.ops.roi_pool)",
    'X = torch.arange(16.).reshape(1, 1, 4, 4); rois = [[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]]; output 2x2, spatial_scale 0.1',
  );
  {
    const X = tf.tidy(() => tf.reshape(tf.range(0, 16), [1, 4, 4, 1]));
    const rois = [
      [0, 0, 0, 20, 20],
      [0, 0, 10, 30, 30],
    ];
    const out = roiPool(X, rois, [2, 2], 0.1);
    const grad = tf.tidy(() => tf.grad((x) => tf.sum(roiPool(x, rois, [2, 2], 0.1)))(X));
    result.seed = Array.from(await out.data());
    result.seedShape = out.shape;
    result.seedGrad = Array.from(await grad.data());
    ctx.pre(formatNchw(result.seed, out.shape), 'seed');
    ctx.pre(
      `gradient of the sum w.r.t. X (4x4):\n${JSON.stringify(tf.tidy(() => grad.reshape([4, 4]).arraySync()))}`,
      'seed-grad',
    );
    ctx.check(
      JSON.stringify(result.seed) === JSON.stringify([5, 6, 9, 10, 9, 11, 13, 15]),
      "roiPool reproduces the seed's numbers",
    );
    ctx.check(
      JSON.stringify(result.seedGrad) === JSON.stringify([0, 0, 0, 0, 0, 1, 1, 0, 0, 2, 1, 1, 0, 1, 0, 1]),
      'the gradient goes to the argmax cells',
    );
    tf.dispose([X, out, grad]);
  }

  const photo = await ctx.loadImage('chelsea.png', { dtype: 'float32' }); // [300, 451, 3]
  const image = tf.tidy(() => tf.image.resizeBilinear(photo, [208, 320], false, true));
  const [H, W] = image.shape;
  ctx.section(
    `2. RoIs on a photo (${W}x${H})`,
    `Feature map: a fixed, hand-made one (no trained CNN offline): R, G, B and Sobel edge strength averaged over ${STRIDE}x${STRIDE} cells → [1, ${H / STRIDE}, ${W / STRIDE}, 4], spatial scale 1/${STRIDE}. Per RoI: the photo under the box, RoI align 7x7 (colour), RoI pool 7x7 (colour), RoI align of the edges.`,
  );
  const features = tf.tidy(() => {
    const x = tf.expandDims(image, 0);
    const gray = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), -1, true);
    const sobel = tf.tensor4d([-1, 0, 1, -2, 0, 2, -1, 0, 1, -1, -2, -1, 0, 0, 0, 1, 2, 1], [2, 3, 3, 1]);
    const g = tf.conv2d(gray, tf.transpose(sobel, [1, 2, 3, 0]), 1, 'same');
    const edges = tf.sqrt(tf.sum(tf.square(g), -1, true));
    return tf.avgPool(tf.concat([x, tf.div(edges, 4)], -1), STRIDE, STRIDE, 'valid');
  });
  const rois = NAMED.map(([, box]) => [0, ...box]);
  const options = { spatialScale: 1 / STRIDE, samplingRatio: 2, aligned: true };
  const aligned = roiAlign(features, rois, OUT, options);
  const pooled = roiPool(features, rois, OUT, 1 / STRIDE);
  const crops = tf.tidy(() =>
    roiAlign(tf.expandDims(image, 0), rois, TILE, { samplingRatio: 2, aligned: true }),
  );
  result.featureShape = features.shape;
  result.alignedShape = aligned.shape;
  result.pooledShape = pooled.shape;
  result.pooled = Array.from(await pooled.data());
  result.aligned = Array.from(await aligned.data());

  await ctx.image(
    drawBoxes(
      image,
      NAMED.map(([, b]) => b),
      { boxFormat: 'pixels', labels: NAMED.map(([name]) => name) },
    ),
    { name: 'rois', caption: 'the six RoIs' },
  );
  const edgeMax = tf.tidy(() => tf.max(tf.slice(features, [0, 0, 0, 3], [1, H / STRIDE, W / STRIDE, 1])));
  const up = (t) => tf.image.resizeNearestNeighbor(t, [TILE, TILE]); // 7x7 cells as 12x12 blocks
  result.means = [];
  for (let k = 0; k < rois.length; k++) {
    const row = ctx.row();
    const [crop, a, p, e, mean] = tf.tidy(() => {
      const a = tf.slice(aligned, [k, 0, 0, 0], [1, OUT, OUT, 4]);
      const p = tf.slice(pooled, [k, 0, 0, 0], [1, OUT, OUT, 4]);
      return [
        tf.clipByValue(tf.squeeze(tf.slice(crops, [k, 0, 0, 0], [1, TILE, TILE, 3]), [0]), 0, 1),
        tf.clipByValue(tf.squeeze(up(tf.slice(a, [0, 0, 0, 0], [1, OUT, OUT, 3])), [0]), 0, 1),
        tf.clipByValue(tf.squeeze(up(tf.slice(p, [0, 0, 0, 0], [1, OUT, OUT, 3])), [0]), 0, 1),
        tf.clipByValue(
          tf.tile(
            tf.squeeze(up(tf.div(tf.slice(a, [0, 0, 0, 3], [1, OUT, OUT, 1]), edgeMax)), [0]),
            [1, 1, 3],
          ),
          0,
          1,
        ),
        tf.mean(a, [0, 1, 2]),
      ];
    });
    const name = NAMED[k][0];
    const m = Array.from(await mean.data());
    result.means.push(m);
    await ctx.image(crop, { name: `crop-${k}`, caption: name, into: row });
    await ctx.image(a, { name: `align-${k}`, caption: 'RoI align', into: row });
    await ctx.image(p, { name: `pool-${k}`, caption: 'RoI pool', into: row });
    await ctx.image(e, { name: `edges-${k}`, caption: 'edges (align)', into: row });
    const caption = document.createElement('p');
    caption.className = 'roi-mean';
    caption.textContent = `${name} [${NAMED[k][1].join(', ')}]: RoI align mean R, G, B ${m
      .slice(0, 3)
      .map((v) => v.toFixed(2))
      .join(', ')}, edges ${m[3].toFixed(2)}`;
    row.append(caption);
    tf.dispose([crop, a, p, e, mean]);
  }

  // The gradient that trains a backbone: RoI align's bin weights sum to 1, so for a box inside the map the
  // gradient of the sum sums to the number of outputs (7·7·4).
  const gs = tf.tidy(() => tf.sum(tf.grad((f) => tf.sum(roiAlign(f, [rois[0]], OUT, options)))(features)));
  result.gradSum = (await gs.data())[0];
  ctx.text(
    `d(sum of RoI align of "left eye")/d(features) sums to ${result.gradSum.toFixed(3)} (= 7·7·4 = 196)`,
  );
  ctx.check(
    Math.abs(result.gradSum - OUT * OUT * 4) < 1e-3,
    'roiAlign gradient of an inside box sums to 196',
  );
  ctx.check(
    aligned.shape.join() === '6,7,7,4' && pooled.shape.join() === '6,7,7,4',
    'output shapes [6, 7, 7, 4]',
  );
  // RoI pool of "face" bin (0, 0) is the max of its cells: rows 0..3, columns 5..9 of the map.
  const bin = tf.tidy(() => tf.max(tf.slice(features, [0, 0, 5, 0], [1, 4, 5, 4]), [0, 1, 2]));
  result.faceBin00 = Array.from(await bin.data());
  const got = result.pooled.slice(3 * OUT * OUT * 4, 3 * OUT * OUT * 4 + 4);
  ctx.check(
    got.every((v, i) => v === result.faceBin00[i]),
    'roiPool bin (0, 0) of "face" is the max of its cells',
  );
  tf.dispose([photo, image, features, aligned, pooled, crops, edgeMax, gs, bin]);
  return result;
}
