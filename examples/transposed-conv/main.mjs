#!/usr/bin/env node
// @cv/transposed-conv example: the seed's transposed-convolution examples (d2l 13.10), then a real photo
// upsampled 2x by a ConvTranspose2d initialised with d2l's bilinear kernel (d2l 13.11.2).
//
//   node main.mjs [--backend wasm|cpu] [--image data/coffee-240x160.png] [--out out] [--check]
//
// Writes <out>/input.png, <out>/output.png (the layer's 2x upsampling), <out>/bilinear.png (bilinear
// interpolation, align_corners=False, for comparison) and <out>/difference.png (|output − bilinear|, x8, so
// that the dark one-pixel frame shows: the layer reads zeros beyond the image where interpolation repeats
// the edge). --check exits non-zero when a printed value differs from the seed's or the upsampling is not
// bilinear in the interior.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Conv2d, initBackend, readImage, writeImage } from '@cv/core';
import { ConvTranspose2d, convMatrix, kernel2matrix, transConv } from '@cv/transposed-conv';
import * as tf from '@tensorflow/tfjs-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    backend: { type: 'string' },
    image: { type: 'string', default: path.join(here, 'data', 'coffee-240x160.png') },
    out: { type: 'string', default: path.join(here, 'out') },
    check: { type: 'boolean', default: false },
  },
});

const failures = [];
const expectEqual = (what, actual, expected) => {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  if (!ok) failures.push(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
};
const show = (name, t) => console.log(`${name} =\n${t.toString().replace(/^Tensor\n/, '')}`);

const info = await initBackend(args.backend, { log: false });
console.log(`backend: ${info.name} (${info.reason})\n`);

// ---- 13.10.1: the basic operation, and the same through the layer
const X = tf.tensor2d([
  [0, 1],
  [2, 3],
]);
const K = tf.tensor2d([
  [0, 1],
  [2, 3],
]);
const Y0 = transConv(X, K);
show('trans_conv(X, K)', Y0);
expectEqual('trans_conv(X, K)', Y0.arraySync(), [
  [0, 0, 1],
  [0, 4, 6],
  [4, 12, 9],
]);

/** nn.ConvTranspose2d(1, 1, kernel_size=2, bias=False, ...) with weight K, applied to X. */
function tconvOf(options) {
  const layer = new ConvTranspose2d(1, 1, 2, { bias: false, ...options });
  layer.loadStateDict({ weight: K.reshape([1, 1, 2, 2]) }); // PyTorch's layout [in, out, kh, kw]
  const y = layer.apply(X.reshape([1, 2, 2, 1]));
  layer.dispose();
  return y.reshape([y.shape[1], y.shape[2]]);
}
for (const [name, options, expected] of [
  [
    'tconv(X), kernel 2',
    {},
    [
      [0, 0, 1],
      [0, 4, 6],
      [4, 12, 9],
    ],
  ],
  ['tconv(X), kernel 2, padding 1', { padding: 1 }, [[4]]],
  [
    'tconv(X), kernel 2, stride 2',
    { stride: 2 },
    [
      [0, 0, 0, 1],
      [0, 0, 2, 3],
      [0, 2, 0, 3],
      [4, 6, 6, 9],
    ],
  ],
]) {
  const y = tconvOf(options);
  show(name, y);
  expectEqual(name, y.arraySync(), expected);
}

// ---- 13.10.2: a transposed convolution with the conv's hyper-parameters gives back the input's shape
{
  const Xr = tf.randomUniform([1, 16, 16, 10]);
  const conv = new Conv2d(10, 20, 5, { padding: 2, stride: 3 });
  const tconv = new ConvTranspose2d(20, 10, 5, { padding: 2, stride: 3 });
  const Z = tconv.apply(conv.apply(Xr));
  const same = JSON.stringify(Z.shape) === JSON.stringify(Xr.shape);
  console.log(
    `tconv(conv(X)).shape == X.shape: ${same ? 'True' : 'False'}  (${JSON.stringify(Z.shape)}, NHWC)\n`,
  );
  expectEqual('tconv(conv(X)).shape == X.shape', same, true);
  conv.dispose();
  tconv.dispose();
}

// ---- 13.10.3: convolution as a matrix product
{
  const X3 = tf.range(0, 9).reshape([3, 3]);
  const K2 = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const Y = tf.conv2d(X3.reshape([1, 3, 3, 1]), K2.reshape([2, 2, 1, 1]), 1, 'valid').reshape([2, 2]);
  show('Y = corr2d(X, K)', Y);
  const W = kernel2matrix(K2);
  show('W = kernel2matrix(K)', W);
  expectEqual('kernel2matrix(K)', W.arraySync(), [
    [1, 2, 0, 3, 4, 0, 0, 0, 0],
    [0, 1, 2, 0, 3, 4, 0, 0, 0],
    [0, 0, 0, 1, 2, 0, 3, 4, 0],
    [0, 0, 0, 0, 1, 2, 0, 3, 4],
  ]);
  const eq1 = tf.equal(Y, tf.matMul(W, X3.reshape([9, 1])).reshape([2, 2]));
  console.log(
    `Y == matmul(W, X.reshape(-1)).reshape(2, 2):\n${JSON.stringify(eq1.arraySync().map((r) => r.map(Boolean)))}`,
  );
  expectEqual('Y == W·vec(X)', eq1.arraySync(), [
    [1, 1],
    [1, 1],
  ]);
  const Z = transConv(Y, K2);
  const eq2 = tf.equal(Z, tf.matMul(W, Y.reshape([4, 1]), true, false).reshape([3, 3]));
  console.log(
    `trans_conv(Y, K) == matmul(W.T, Y.reshape(-1)).reshape(3, 3):\n${JSON.stringify(eq2.arraySync().map((r) => r.map(Boolean)))}`,
  );
  expectEqual('trans_conv(Y, K) == Wᵀ·vec(Y)', eq2.arraySync(), [
    [1, 1, 1],
    [1, 1, 1],
    [1, 1, 1],
  ]);
  // The general form: stride 2, padding 1 on a 5x5 input.
  const Wg = convMatrix([5, 5], K2, { stride: 2, padding: 1 });
  console.log(`convMatrix([5, 5], K, { stride: 2, padding: 1 }).shape = ${JSON.stringify(Wg.shape)}\n`);
  expectEqual('convMatrix shape', Wg.shape, [9, 25]);
}

// ---- 13.11.2: bilinear upsampling of a photo with a transposed convolution
const img = await readImage(args.image, { dtype: 'float32' }); // [H, W, 3] in [0, 1]
const [h, w] = img.shape;
const upsample = new ConvTranspose2d(3, 3, 4, { padding: 1, stride: 2, bias: false, init: 'bilinear' });
const t0 = performance.now();
const out = upsample.apply(img.expandDims(0)).squeeze([0]);
const ms = performance.now() - t0;
console.log(`input image shape: ${JSON.stringify(img.shape)}`);
console.log(`output image shape: ${JSON.stringify(out.shape)}  (${ms.toFixed(1)} ms on ${info.name})`);
expectEqual('output shape', out.shape, [2 * h, 2 * w, 3]);

// Bilinear interpolation with half-pixel centres (PyTorch's align_corners=False).
const bilinear = tf.image.resizeBilinear(img, [2 * h, 2 * w], false, true);
const diff = tf.abs(tf.sub(out, bilinear));
const inner = diff.slice([1, 1, 0], [2 * h - 2, 2 * w - 2, 3]);
const interior = inner.max().dataSync()[0];
const border = diff.max().dataSync()[0];
console.log(`max |output − bilinear| in the interior: ${interior.toExponential(2)}`);
console.log(
  `max |output − bilinear| on the one-pixel frame: ${border.toFixed(3)} (the layer reads zeros outside the image: edge rows ×0.75, corners ×0.5625)`,
);
if (!(interior < 1e-5)) failures.push(`interior differs from bilinear interpolation by ${interior}`);

const outDir = path.resolve(args.out);
await writeImage(path.join(outDir, 'input.png'), img);
await writeImage(path.join(outDir, 'output.png'), out.clipByValue(0, 1));
await writeImage(path.join(outDir, 'bilinear.png'), bilinear.clipByValue(0, 1));
await writeImage(path.join(outDir, 'difference.png'), diff.mul(8).clipByValue(0, 1));
console.log(
  `\nwritten: ${['input.png', 'output.png', 'bilinear.png', 'difference.png'].map((f) => path.join(path.relative(process.cwd(), outDir) || '.', f)).join(', ')}`,
);
upsample.dispose();

if (failures.length) {
  console.error(`\n${failures.length} check(s) failed:\n${failures.join('\n')}`);
  if (args.check) process.exit(1);
} else if (args.check) {
  console.log('\ncheck: all values as the seed prints them; the upsampling is bilinear in the interior');
}
