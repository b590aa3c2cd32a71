// @cv/core training in the browser, the twin of examples/core-train/train.mjs: a small conv net (PyTorch-
// shaped modules, Adam, mseLoss) learns a 4x-downsampled Sobel edge map of smooth random images it makes
// itself, with a live loss curve. On WASM this runs @cv/core's training kernels (Conv2DBackpropFilter and
// the others tfjs-backend-wasm lacks); before training the page compares one gradient with the CPU backend.
//   ?steps=60 (default) ?batch=16 ?size=32 ?lr=0.01
import { Adam, Conv2d, MaxPool2d, mseLoss, ReLU, Sequential } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

const int = (params, name, fallback) => {
  const v = Number(params.get(name) ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`?${name}= must be a positive integer, got ${v}`);
  return v;
};

function makeBatch(seed, batch, size) {
  return tf.tidy(() => {
    const sobelX = tf.tensor4d([-1, 0, 1, -2, 0, 2, -1, 0, 1], [3, 3, 1, 1]);
    const sobelY = tf.tensor4d([-1, -2, -1, 0, 0, 0, 1, 2, 1], [3, 3, 1, 1]);
    const noise = tf.randomUniform([batch, size / 4, size / 4, 3], 0, 1, 'float32', seed);
    const images = tf.image.resizeBilinear(noise, [size, size], false, true);
    const gray = tf.mean(images, 3, true);
    const gx = tf.conv2d(gray, sobelX, 1, 'same');
    const gy = tf.conv2d(gray, sobelY, 1, 'same');
    const edges = tf.sqrt(tf.add(tf.add(tf.square(gx), tf.square(gy)), 1e-6));
    return { images, target: tf.avgPool(edges, 4, 4, 'valid') };
  });
}

/** The loss and the gradients of a fixed conv stack (the model's shapes) for seeded data, as plain arrays. */
async function referenceGradients() {
  const { images, target } = makeBatch(123, 4, 32);
  const w1 = tf.randomNormal([3, 3, 3, 16], 0, 0.2, 'float32', 5);
  const w2 = tf.randomNormal([3, 3, 16, 1], 0, 0.2, 'float32', 6);
  const f = (a, b) =>
    mseLoss(
      tf.conv2d(
        tf.maxPool(
          tf.relu(
            tf.conv2d(images, a, 2, [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ]),
          ),
          2,
          2,
          'valid',
        ),
        b,
        1,
        'same',
      ),
      target,
    );
  const { value, grads } = tf.valueAndGrads(f)([w1, w2]);
  const out = {
    loss: (await value.data())[0],
    grads: await Promise.all(grads.map(async (g) => Array.from(await g.data()))),
  };
  tf.dispose([images, target, w1, w2, value, ...grads]);
  return out;
}

/** Draws the loss curve (log scale) into a canvas. */
function plotLoss(canvas, losses, steps) {
  const g = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  const pad = 34;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, w, h);
  g.strokeStyle = '#999';
  g.strokeRect(pad, 8, w - pad - 8, h - pad);
  if (losses.length === 0) return;
  const logs = losses.map((v) => Math.log10(v));
  const lo = Math.min(...logs);
  const hi = Math.max(...logs);
  const y = (v) => 8 + (h - pad) * (hi === lo ? 0.5 : (hi - Math.log10(v)) / (hi - lo));
  const x = (i) => pad + ((w - pad - 8) * i) / Math.max(1, steps - 1);
  g.strokeStyle = '#1f6fd1';
  g.lineWidth = 2;
  g.beginPath();
  for (const [i, v] of losses.entries()) {
    if (i) g.lineTo(x(i), y(v));
    else g.moveTo(x(i), y(v));
  }
  g.stroke();
  g.fillStyle = '#333';
  g.font = '11px sans-serif';
  g.fillText(`${10 ** hi < 0.01 ? (10 ** hi).toExponential(1) : (10 ** hi).toFixed(3)}`, 2, 16);
  g.fillText(`${10 ** lo < 0.01 ? (10 ** lo).toExponential(1) : (10 ** lo).toFixed(3)}`, 2, h - pad + 8);
  g.fillText('step', w / 2, h - 8);
}

export async function run(ctx) {
  const steps = int(ctx.params, 'steps', 60);
  const batch = int(ctx.params, 'batch', 16);
  const size = int(ctx.params, 'size', 32);
  if (size % 4) throw new Error(`?size= must be a multiple of 4, got ${size}`);
  const lr = Number(ctx.params.get('lr') ?? 0.01);
  const result = { steps, batch, size };

  ctx.section(
    '1. Gradients on this backend against the CPU backend',
    'conv 3x3/2 → ReLU → max pool 2 → conv 3x3, MSE loss, batch 4 at 32x32: the loss and both filter gradients.',
  );
  const here = tf.getBackend();
  const mine = await referenceGradients();
  if (here !== 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    const cpu = await referenceGradients();
    await tf.setBackend(here);
    let maxAbs = Math.abs(mine.loss - cpu.loss);
    let scale = Math.abs(cpu.loss);
    for (const [k, g] of mine.grads.entries()) {
      for (const [i, v] of g.entries()) {
        maxAbs = Math.max(maxAbs, Math.abs(v - cpu.grads[k][i]));
        scale = Math.max(scale, Math.abs(cpu.grads[k][i]));
      }
    }
    result.parity = { against: 'cpu', maxAbs, scale, loss: mine.loss, cpuLoss: cpu.loss };
    ctx.text(
      `loss ${mine.loss.toFixed(6)} on ${here}, ${cpu.loss.toFixed(6)} on cpu; largest difference of loss and gradients ${maxAbs.toExponential(2)} (largest gradient ${scale.toFixed(3)})`,
    );
    ctx.check(maxAbs <= 1e-4 * Math.max(1, scale), `${here} gradients equal the CPU backend's (within 1e-4)`);
  } else {
    result.parity = { against: 'none', loss: mine.loss };
    ctx.text('running on the CPU backend itself: nothing to compare.');
  }

  ctx.section(
    `2. Training: ${steps} steps of batch ${batch} at ${size}x${size}, Adam lr ${lr}`,
    'A fresh batch of smooth random images every step; target: their 4x-downsampled Sobel edge strength.',
  );
  const model = new Sequential(
    new Conv2d(3, 16, 3, {
      stride: 2,
      padding: [
        [1, 1],
        [1, 1],
      ],
    }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(16, 1, 3, { padding: 'same' }),
  );
  const optimizer = new Adam(Object.fromEntries(model.namedParameters()), { lr });
  const bar = ctx.progress('training');
  const canvas = document.createElement('canvas');
  canvas.width = 420;
  canvas.height = 200;
  canvas.dataset.name = 'loss-curve';
  const fig = document.createElement('figure');
  const cap = document.createElement('figcaption');
  cap.textContent = 'training loss (log scale)';
  fig.append(canvas, cap);
  ctx.row().append(fig);
  const losses = [];
  const t0 = performance.now();
  for (let step = 1; step <= steps; step++) {
    const { images, target } = makeBatch(step, batch, size);
    const loss = optimizer.minimize(() => mseLoss(model.apply(images), target), true);
    const value = (await loss.data())[0];
    tf.dispose([loss, images, target]);
    if (!Number.isFinite(value)) throw new Error(`step ${step}: the loss is ${value}`);
    losses.push(value);
    const seconds = (performance.now() - t0) / 1000;
    bar.update(
      step / steps,
      `step ${step}/${steps}, loss ${value.toFixed(5)}, ${((step * batch) / seconds).toFixed(0)} examples/s`,
    );
    if (step % 5 === 0 || step === steps) {
      plotLoss(canvas, losses, steps);
      await ctx.nextFrame();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  result.losses = losses;
  result.examplesPerSecond = (steps * batch) / seconds;
  const head = losses.slice(0, 5).reduce((a, b) => a + b, 0) / Math.min(5, losses.length);
  const tail = losses.slice(-5).reduce((a, b) => a + b, 0) / Math.min(5, losses.length);
  ctx.text(
    `${seconds.toFixed(2)} s, ${result.examplesPerSecond.toFixed(0)} examples/s; mean loss of the first 5 steps ${head.toFixed(5)}, of the last 5 ${tail.toFixed(5)}`,
  );
  ctx.check(tail < head * 0.7, 'the loss fell by more than 30%');

  // Four unseen images: input, target edges, predicted edges.
  const { images, target } = makeBatch(0, 4, size);
  const cells = tf.tidy(() => {
    const pred = model.apply(images);
    const scale = tf.max(target);
    const view = Math.max(96, size);
    const toRgb = (e) =>
      tf.tile(
        tf.clipByValue(tf.div(tf.image.resizeNearestNeighbor(e, [view, view]), scale), 0, 1),
        [1, 1, 1, 3],
      );
    const out = [];
    for (let i = 0; i < 4; i++) {
      const pick = (t) => tf.slice(t, [i, 0, 0, 0], [1, -1, -1, -1]);
      out.push([
        tf.squeeze(tf.image.resizeNearestNeighbor(pick(images), [view, view]), [0]),
        tf.squeeze(toRgb(pick(target)), [0]),
        tf.squeeze(toRgb(pick(pred)), [0]),
      ]);
    }
    return out;
  });
  for (const [i, [input, t, p]] of cells.entries()) {
    const row = ctx.row();
    await ctx.image(input, { name: `input-${i}`, caption: 'input', into: row });
    await ctx.image(t, { name: `target-${i}`, caption: 'target edges', into: row });
    await ctx.image(p, { name: `predicted-${i}`, caption: 'predicted edges', into: row });
  }
  tf.dispose([images, target, ...cells.flat()]);
  optimizer.dispose();
  model.dispose();
  return result;
}
