// @cv/style-transfer in the browser: d2l §13.12's neural style transfer (Gatys et al.) with a live preview.
// The content photo (chelsea) takes the style of the Hubble deep field for ?steps= (default 30) Adam steps
// at ?size= (default 64x96; d2l uses 300x450 and 500 steps). No ImageNet VGG-19 weights offline, so the
// network is a seeded random VGG-19 (random features still carry texture statistics, but the result is not
// d2l's); ?weights=<url of torchvision vgg19 .safetensors> loads real ones.

import { tensorToImage } from '@cv/core';
import {
  DEFAULT_CONTENT_LAYERS,
  DEFAULT_STYLE_LAYERS,
  deepestLayer,
  loadVgg19WeightsFromSafetensors,
  postprocess,
  preprocess,
  Synthesizer,
  Vgg19,
} from '@cv/style-transfer';
import * as tf from '@tensorflow/tfjs-core';
import { pixelsToCanvas } from '../lib/context.js';

function sizeParam(params) {
  const text = params.get('size') ?? '64x96';
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m) throw new Error(`?size= must be HxW, got ${text}`);
  return [Number(m[1]), Number(m[2])];
}

export async function run(ctx) {
  const [H, W] = sizeParam(ctx.params);
  const steps = Number(ctx.params.get('steps') ?? 30);
  const every = Math.max(1, Number(ctx.params.get('preview') ?? 2));
  const weightsUrl = ctx.params.get('weights');
  // Random VGG features have far smaller Gram matrices than ImageNet ones: with d2l's style weight (1e4) the
  // total-variation term would dominate and the image would only blur, so random weights use 1e6.
  const styleWeight = Number(ctx.params.get('styleWeight') ?? (weightsUrl ? 1e4 : 1e6));
  const lossWeights = { content: 1, style: styleWeight, tv: 10 };
  const result = { size: [H, W], steps, lossWeights };
  const last = deepestLayer(DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS);
  const net = new Vgg19({ lastLayer: last, seed: 7 });
  result.lastLayer = last;
  result.parameterTensors = net.namedParameters().length;
  ctx.section(
    '1. Images and network',
    `content and style at ${H}x${W}; VGG-19 features 0..${last} (${result.parameterTensors} parameter tensors), content layers [${DEFAULT_CONTENT_LAYERS}], style layers [${DEFAULT_STYLE_LAYERS}]; ` +
      (weightsUrl
        ? `weights from ${weightsUrl}.`
        : 'random weights (seed 7): no ImageNet weights offline, pass ?weights=<url of torchvision vgg19 .safetensors> for real ones.'),
  );
  if (weightsUrl) {
    const r = await loadVgg19WeightsFromSafetensors(net, new URL(weightsUrl, document.baseURI).href);
    result.weightsFormat = r.format;
  }
  const [contentImg, styleImg] = await Promise.all([
    ctx.loadImage('chelsea.png'),
    ctx.loadImage('hubble-240x209.png'),
  ]);
  const content = preprocess(contentImg, [H, W]);
  const style = preprocess(styleImg, [H, W]);
  const row = ctx.row();
  const shown = tf.tidy(() => [postprocess(content), postprocess(style)]);
  await ctx.image(shown[0], { name: 'content', caption: 'content', zoom: 2, into: row });
  await ctx.image(shown[1], { name: 'style', caption: 'style', zoom: 2, into: row });
  tf.dispose([contentImg, styleImg, ...shown]);

  ctx.section(
    `2. Synthesis: ${steps} steps, live preview`,
    `Adam lr 0.3 on the image; loss weights content 1, style ${styleWeight.toExponential(0)}, total variation 10 (d2l: style 1e4 with ImageNet weights; ?styleWeight= to change); the preview is redrawn every ${every} steps.`,
  );
  const synth = new Synthesizer(net, content, style, { lossWeights });
  const bar = ctx.progress('synthesizing');
  const previewRow = ctx.row();
  const fig = document.createElement('figure');
  const caption = document.createElement('figcaption');
  let canvas = pixelsToCanvas({ width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3) }, 2);
  canvas.dataset.name = 'preview';
  fig.append(canvas, caption);
  previewRow.append(fig);
  const draw = async (label) => {
    const img = tf.tidy(() => postprocess(synth.image));
    const px = await tensorToImage(img);
    img.dispose();
    const next = pixelsToCanvas(px, 2);
    next.dataset.name = 'preview';
    canvas.replaceWith(next);
    canvas = next;
    caption.textContent = label;
  };
  const history = [];
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    const l = synth.step();
    history.push(l);
    bar.update(
      i / steps,
      `step ${i}/${steps}: content ${l.content.toFixed(3)}, style ${l.style.toExponential(2)}, TV ${l.tv.toFixed(3)}, ${((performance.now() - t0) / i).toFixed(0)} ms/step`,
    );
    if (i % every === 0 || i === steps) {
      await draw(`after ${i} steps`);
      await ctx.nextFrame();
    }
  }
  result.msPerStep = (performance.now() - t0) / steps;
  result.losses = history.map((l) => ({ content: l.content, style: l.style, tv: l.tv, total: l.total }));
  const diff = tf.tidy(() => tf.mean(tf.abs(tf.sub(postprocess(synth.image), postprocess(content)))));
  result.meanChange = (await diff.data())[0];
  const out = tf.tidy(() => postprocess(synth.image));
  result.outputShape = out.shape;
  const [lo, hi] = tf.tidy(() => [out.min(), out.max()]);
  result.range = [(await lo.data())[0], (await hi.data())[0]];
  tf.dispose([diff, out, lo, hi]);
  ctx.text(
    `total loss ${history[0].total.toExponential(3)} → ${history.at(-1).total.toExponential(3)}; style ${history[0].style.toExponential(2)} → ${history.at(-1).style.toExponential(2)}; mean |result − content| ${result.meanChange.toFixed(3)}; ${result.msPerStep.toFixed(0)} ms/step`,
  );
  ctx.check(history.at(-1).total < history[0].total, 'the total loss fell');
  ctx.check(history.at(-1).style < history[0].style, 'the style loss fell');
  ctx.check(result.meanChange > 0.005, 'the image changed');
  synth.dispose();
  tf.dispose([content, style]);
  net.dispose();
  return result;
}
