// @cv/fcn in the browser: d2l §13.11's fully convolutional network (ResNet-18 backbone, 1x1 conv to 21 VOC
// classes, transposed conv kernel 64 stride 32 with the bilinear kernel). No ImageNet weights offline, so
// the backbone is random (say so) unless ?weights=<url of torchvision resnet18 .safetensors> is given.
// The page fits a few steps (?steps=, default 6) on one batch of synthetic VOC scenes (@cv/datasets-voc's
// randomScene, at ?size=96x128) to show that training runs, then predicts on a held-out scene and a photo.
import { colorizeLabels, Rng, SGD } from '@cv/core';
import { randomScene, VOC_CLASSES } from '@cv/datasets-voc';
import { FCN, label2image, predict, trainStep } from '@cv/fcn';
import * as tf from '@tensorflow/tfjs-core';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

function sizeParam(params) {
  const text = params.get('size') ?? '96x128';
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m || Number(m[1]) % 32 || Number(m[2]) % 32)
    throw new Error(`?size= must be HxW, multiples of 32, got ${text}`);
  return [Number(m[1]), Number(m[2])];
}

/** Scenes → normalized images [B, H, W, 3] and labels [B, H, W] (0..20, 255 borders). */
function sceneBatch(scenes) {
  const [h, w] = [scenes[0].height, scenes[0].width];
  return tf.tidy(() => {
    const images = tf.stack(
      scenes.map((s) =>
        tf.tensor3d(
          Float32Array.from(s.image, (v) => v / 255),
          [h, w, 3],
        ),
      ),
    );
    const normalized = tf.div(tf.sub(images, tf.tensor1d(MEAN)), tf.tensor1d(STD));
    const labels = tf.stack(scenes.map((s) => tf.tensor2d(Int32Array.from(s.label), [h, w], 'int32')));
    return { images: normalized, labels };
  });
}

export async function run(ctx) {
  const [H, W] = sizeParam(ctx.params);
  const steps = Number(ctx.params.get('steps') ?? 6);
  const result = { size: [H, W], steps };
  const model = new FCN();
  result.parameters = model.parameters().reduce((n, p) => n + p.size, 0);
  result.stateDictKeys = model.namedParameters().length;
  ctx.section(
    '1. The network',
    `FCN: ResNet-18 (random weights: no ImageNet weights offline) → 1x1 conv to ${model.numClasses} classes → ConvTranspose2d(21, 21, 64, stride 32, padding 16), bilinear. ${result.parameters.toLocaleString('en')} parameters in ${result.stateDictKeys} tensors.`,
  );
  const probe = tf.zeros([1, H, W, 3]);
  model.eval();
  const logits = model.apply(probe);
  result.logitsShape = logits.shape;
  tf.dispose([probe, logits]);
  ctx.text(`input [1, ${H}, ${W}, 3] → logits [${result.logitsShape}]`);
  ctx.check(result.logitsShape.join() === `1,${H},${W},21`, 'the logits have the input’s height and width');

  // 2. A few steps on one batch of synthetic scenes (loss must fall when fitting one batch).
  const rng = new Rng(11);
  const train = Array.from({ length: 2 }, () => randomScene(H, W, [], rng));
  const held = randomScene(H, W, [], new Rng(12));
  ctx.section(
    `2. ${steps} training steps on one batch of 2 synthetic VOC scenes (${H}x${W})`,
    'SGD lr 0.01, momentum 0.9, weight decay 1e-3 (d2l); the loss ignores the 255 borders.',
  );
  const { images, labels } = sceneBatch(train);
  const optimizer = new SGD(Object.fromEntries(model.namedParameters()), {
    lr: 0.01,
    momentum: 0.9,
    weightDecay: 1e-3,
  });
  model.train();
  const bar = ctx.progress('training');
  const losses = [];
  const t0 = performance.now();
  for (let step = 1; step <= steps; step++) {
    const r = await trainStep(model, optimizer, images, labels);
    losses.push(r.loss / 2);
    bar.update(
      step / steps,
      `step ${step}/${steps}, loss ${(r.loss / 2).toFixed(4)}, pixel accuracy ${((100 * r.correct) / r.pixels).toFixed(1)}%, ${((performance.now() - t0) / 1000 / step).toFixed(2)} s/step`,
    );
    await ctx.nextFrame();
  }
  optimizer.dispose();
  model.eval();
  result.losses = losses;
  result.secondsPerStep = (performance.now() - t0) / 1000 / steps;
  ctx.text(`loss per image ${losses[0].toFixed(4)} → ${losses.at(-1).toFixed(4)}`);
  ctx.check(losses.at(-1) < losses[0], 'fitting one batch lowers the loss');
  const row = ctx.row();
  for (const [i, s] of train.entries()) {
    const img = tf.tensor3d(s.image, [H, W, 3], 'int32');
    await ctx.image(img, { name: `train-${i}`, caption: `scene ${i}`, into: row });
    const lab = tf.tensor2d(Int32Array.from(s.label), [H, W], 'int32');
    const colored = colorizeLabels(lab);
    await ctx.image(colored, { name: `train-label-${i}`, caption: 'label (VOC palette)', into: row });
    tf.dispose([img, lab, colored]);
  }
  tf.dispose([images, labels]);

  // 3. Prediction (d2l's predict: normalize, pad to multiples of 32, argmax) on a held-out scene and a photo.
  ctx.section(
    '3. Prediction',
    'predict() then label2image() (VOC palette). With random backbone weights and a few steps the classes are not meaningful; the shapes, the padding to multiples of 32 and the colouring are.',
  );
  const photo = await ctx.loadImage('chelsea.png'); // [300, 451, 3], not a multiple of 32
  const heldImage = tf.tensor3d(held.image, [H, W, 3], 'int32');
  const predRow = ctx.row();
  result.predictions = {};
  for (const [name, img] of [
    ['scene', heldImage],
    ['photo', photo],
  ]) {
    const pred = predict(model, img);
    const colored = label2image(pred);
    const values = await pred.data();
    const counts = new Map();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const samples = [
      [0, 0],
      [Math.floor(img.shape[0] / 2), Math.floor(img.shape[1] / 2)],
      [img.shape[0] - 1, img.shape[1] - 1],
    ].map(([y, x]) => ({ x, y, cls: values[y * img.shape[1] + x] }));
    result.predictions[name] = {
      inputShape: img.shape,
      predShape: pred.shape,
      classes: [...counts.keys()].sort((a, b) => a - b),
      samples,
    };
    await ctx.image(img, { name: `${name}-input`, caption: name, into: predRow });
    await ctx.image(colored, {
      name: `${name}-prediction`,
      caption: `prediction: ${[...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([c, n]) => `${VOC_CLASSES[c]} ${((100 * n) / values.length).toFixed(0)}%`)
        .join(', ')}`,
      into: predRow,
    });
    ctx.check(
      pred.shape.join() === img.shape.slice(0, 2).join(),
      `${name}: the prediction has the image's size`,
    );
    tf.dispose([pred, colored]);
  }
  tf.dispose([photo, heldImage]);
  model.dispose();
  return result;
}
