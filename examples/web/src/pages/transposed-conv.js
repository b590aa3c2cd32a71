// @cv/transposed-conv in the browser, the twin of examples/transposed-conv/main.mjs: d2l §13.10's examples
// (trans_conv, nn.ConvTranspose2d with padding and stride, shapes, convolution as a matrix product) and
// §13.11.2's bilinear upsampling of a photo by a ConvTranspose2d.
import { Conv2d } from '@cv/core';
import { ConvTranspose2d, convMatrix, kernel2matrix, transConv } from '@cv/transposed-conv';
import * as tf from '@tensorflow/tfjs-core';
import { formatMatrix } from '../lib/context.js';

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export async function run(ctx) {
  const result = {};
  const X = tf.tensor2d([
    [0, 1],
    [2, 3],
  ]);
  const K = tf.tensor2d([
    [0, 1],
    [2, 3],
  ]);

  ctx.section('1. The basic operation (d2l §13.10.1)', 'X = K = [[0, 1], [2, 3]]');
  const basic = transConv(X, K);
  result.transConv = await basic.array();
  ctx.pre(`trans_conv(X, K) =\n${formatMatrix(result.transConv)}`, 'trans-conv');
  ctx.check(
    same(result.transConv, [
      [0, 0, 1],
      [0, 4, 6],
      [4, 12, 9],
    ]),
    'trans_conv(X, K) as the seed prints it',
  );
  basic.dispose();

  /** nn.ConvTranspose2d(1, 1, kernel_size=2, bias=False, ...) with weight K, applied to X. */
  const tconv = async (options) => {
    const layer = new ConvTranspose2d(1, 1, 2, { bias: false, ...options });
    const w = K.reshape([1, 1, 2, 2]); // PyTorch's layout [in, out, kh, kw]
    layer.loadStateDict({ weight: w });
    const y = tf.tidy(() => {
      const out = layer.apply(X.reshape([1, 2, 2, 1]));
      return out.reshape([out.shape[1], out.shape[2]]);
    });
    const v = await y.array();
    tf.dispose([w, y]);
    layer.dispose();
    return v;
  };
  result.tconv = {
    plain: await tconv({}),
    padding1: await tconv({ padding: 1 }),
    stride2: await tconv({ stride: 2 }),
  };
  ctx.pre(
    [
      `tconv(X), kernel 2 =\n${formatMatrix(result.tconv.plain)}`,
      `tconv(X), kernel 2, padding 1 =\n${formatMatrix(result.tconv.padding1)}`,
      `tconv(X), kernel 2, stride 2 =\n${formatMatrix(result.tconv.stride2)}`,
    ].join('\n\n'),
    'tconv',
  );
  ctx.check(same(result.tconv.padding1, [[4]]), 'padding 1 removes the outer ring: [[4]]');
  ctx.check(
    same(result.tconv.stride2, [
      [0, 0, 0, 1],
      [0, 0, 2, 3],
      [0, 2, 0, 3],
      [4, 6, 6, 9],
    ]),
    'stride 2 as the seed prints it',
  );

  ctx.section(
    '2. Shapes (§13.10.2)',
    'Conv2d(10, 20, 5, padding 2, stride 3) then ConvTranspose2d(20, 10, 5, padding 2, stride 3)',
  );
  {
    const conv = new Conv2d(10, 20, 5, { padding: 2, stride: 3 });
    const up = new ConvTranspose2d(20, 10, 5, { padding: 2, stride: 3 });
    const shapes = tf.tidy(() => {
      const x = tf.randomUniform([1, 16, 16, 10]);
      const h = conv.apply(x);
      return [x.shape, h.shape, up.apply(h).shape];
    });
    result.shapes = { input: shapes[0], conv: shapes[1], tconv: shapes[2] };
    ctx.pre(
      `X: [${shapes[0]}] → conv: [${shapes[1]}] → tconv: [${shapes[2]}]  (NHWC)\ntconv(conv(X)).shape == X.shape: ${same(shapes[0], shapes[2]) ? 'True' : 'False'}`,
      'shapes',
    );
    ctx.check(same(shapes[0], shapes[2]), 'tconv(conv(X)) has the shape of X');
    conv.dispose();
    up.dispose();
  }

  ctx.section('3. Convolution as a matrix product (§13.10.3)');
  {
    const [W, eq1, eq2, Wg] = tf.tidy(() => {
      const X3 = tf.range(0, 9).reshape([3, 3]);
      const K2 = tf.tensor2d([
        [1, 2],
        [3, 4],
      ]);
      const Y = tf.conv2d(X3.reshape([1, 3, 3, 1]), K2.reshape([2, 2, 1, 1]), 1, 'valid').reshape([2, 2]);
      const W = kernel2matrix(K2);
      const eq1 = tf.all(tf.equal(Y, tf.matMul(W, X3.reshape([9, 1])).reshape([2, 2])));
      const Z = transConv(Y, K2);
      const eq2 = tf.all(tf.equal(Z, tf.matMul(W, Y.reshape([4, 1]), true, false).reshape([3, 3])));
      return [W, eq1, eq2, convMatrix([5, 5], K2, { stride: 2, padding: 1 })];
    });
    result.kernel2matrix = await W.array();
    result.matmulEqualsConv = Boolean((await eq1.data())[0]);
    result.matmulTEqualsTransConv = Boolean((await eq2.data())[0]);
    result.convMatrixShape = Wg.shape;
    ctx.pre(
      `W = kernel2matrix(K) =\n${formatMatrix(result.kernel2matrix)}\n\n` +
        `Y == matmul(W, X.reshape(-1)).reshape(2, 2): ${result.matmulEqualsConv}\n` +
        `trans_conv(Y, K) == matmul(W.T, Y.reshape(-1)).reshape(3, 3): ${result.matmulTEqualsTransConv}\n` +
        `convMatrix([5, 5], K, { stride: 2, padding: 1 }).shape = [${Wg.shape}]`,
      'matrix',
    );
    ctx.check(
      result.matmulEqualsConv && result.matmulTEqualsTransConv,
      'W·x is the convolution, Wᵀ·y the transposed one',
    );
    tf.dispose([W, eq1, eq2, Wg]);
  }

  ctx.section(
    '4. Bilinear upsampling of a photo (§13.11.2)',
    'ConvTranspose2d(3, 3, kernel 4, padding 1, stride 2) initialised with the bilinear kernel, against tf.image.resizeBilinear (half-pixel centres = PyTorch align_corners=False). The difference (×8) shows the one-pixel frame where the layer reads zeros outside the image.',
  );
  const img = await ctx.loadImage('coffee-240x160.png', { dtype: 'float32' });
  const [h, w] = img.shape;
  const upsample = new ConvTranspose2d(3, 3, 4, { padding: 1, stride: 2, bias: false, init: 'bilinear' });
  const t0 = performance.now();
  const out = tf.tidy(() => upsample.apply(img.expandDims(0)).squeeze([0]));
  await out.data();
  result.upsampleMs = performance.now() - t0;
  const bilinear = tf.image.resizeBilinear(img, [2 * h, 2 * w], false, true);
  const diff = tf.tidy(() => tf.abs(tf.sub(out, bilinear)));
  const [interior, border] = tf.tidy(() => [
    diff.slice([1, 1, 0], [2 * h - 2, 2 * w - 2, 3]).max(),
    diff.max(),
  ]);
  result.inputShape = img.shape;
  result.outputShape = out.shape;
  result.interiorMaxDiff = (await interior.data())[0];
  result.borderMaxDiff = (await border.data())[0];
  ctx.text(
    `input [${img.shape}] → output [${out.shape}] in ${result.upsampleMs.toFixed(1)} ms; max |output − bilinear|: interior ${result.interiorMaxDiff.toExponential(2)}, frame ${result.borderMaxDiff.toFixed(3)}`,
  );
  ctx.check(same(out.shape, [2 * h, 2 * w, 3]), 'output is twice the input size');
  ctx.check(result.interiorMaxDiff < 1e-5, 'the layer is bilinear interpolation in the interior');
  const row = ctx.row();
  await ctx.image(img, { name: 'input', caption: `input ${w}x${h}`, into: row });
  const clipped = tf.tidy(() => [
    out.clipByValue(0, 1),
    bilinear.clipByValue(0, 1),
    diff.mul(8).clipByValue(0, 1),
  ]);
  await ctx.image(clipped[0], { name: 'output', caption: `ConvTranspose2d ${2 * w}x${2 * h}`, into: row });
  await ctx.image(clipped[1], { name: 'bilinear', caption: 'resizeBilinear', into: row });
  await ctx.image(clipped[2], { name: 'difference', caption: '|difference| ×8', into: row });
  upsample.dispose();
  tf.dispose([X, K, img, out, bilinear, diff, interior, border, ...clipped]);
  return result;
}
