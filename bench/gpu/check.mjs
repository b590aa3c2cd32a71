// The GPU check (bundled by bench/gpu/build.mjs, run by bench/gpu/run.sh on the GPU machine):
//   1. initBackend('webgpu') through Dawn (and what initBackend('tensorflow') says here);
//   2. parity of webgpu with the cpu backend, op by op (relative error = max|gpu − cpu| / max|cpu| ≤ 1e-3);
//   3. kernel timings: tfjs-backend-webgpu's own kernels against @cv/core's (src/webgpu);
//   4. training throughput of a TinySSD-shaped conv stack (batch 32, 256x256), beside PyTorch's (torch_stack.py);
//   5. the model packages (@cv/ssd, @cv/fcn, @cv/style-transfer) when built.
// Flags: --probe (adapter only), --quick, --torch=<json from torch_stack.py>, --out=<json>, --sections=a,b
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as core from '@cv/core';
import { expectNoLeaks } from '@cv/core/testing';
// A named import: a bare import of the cpu backend would be dropped by the bundler (its package.json says
// sideEffects: [...] without its Node entry). The webgpu backend registers itself only if navigator.gpu exists
// when it is imported, so it is imported below, after Dawn's navigator.gpu is set up.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, ...v] = a.replace(/^--/, '').split('=');
    return [k, v.length ? v.join('=') : true];
  }),
);
const QUICK = Boolean(args.quick);
/** Batch of the timing sections (32 on the GPU; smaller to try the script on a software device). */
const BATCH = Number(args.batch ?? 32);
/** Image side of the timing sections (256 on the GPU); --hw=32 tries them quickly on a software device. */
const HW = Number(args.hw ?? 256);
const sp = (d) => Math.max(2, Math.round((d * HW) / 256));
const SECTIONS =
  typeof args.sections === 'string'
    ? args.sections.split(',')
    : ['parity', 'models', 'profile', 'train', 'kernels'];
const results = {
  backends: { cpu: version_cpu },
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  sections: {},
};
const log = (...a) => console.log(...a);
const fmt = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? '—' : Number(x).toFixed(d));

function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  log(`\n### ${title}`);
  log(line(header));
  log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of rows) log(line(r));
}

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** Host values uniform in [−1, 1). */
function hostRandom(shape, seed) {
  const r = rng(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = 2 * r() - 1;
  return { shape, v };
}
const T = (h) => tf.tensor(h.v, h.shape);

// ---------------------------------------------------------------------------------------------- backend
async function startWebgpu() {
  const t0 = performance.now();
  try {
    const info = await core.initBackend('webgpu', { log: false });
    const ms = performance.now() - t0;
    log(`webgpu: ${JSON.stringify(info.details)} (${fmt(ms, 0)} ms)`);
    results.webgpu = { ok: true, ...info.details, initMs: ms };
    return true;
  } catch (err) {
    log(`webgpu: FAILED: ${err.message}`);
    results.webgpu = { ok: false, error: err.message };
    return false;
  }
}

// ----------------------------------------------------------------------------------------------- parity
/** Runs `fn(tensors)` on a backend from host inputs; returns host outputs (arrays of Float32Array). */
async function runOn(backend, inputs, fn) {
  await tf.setBackend(backend);
  const ts = inputs.map(T);
  const out = tf.tidy(() => {
    const y = fn(...ts);
    return Array.isArray(y) ? y : [y];
  });
  const vals = [];
  for (const o of out) vals.push({ shape: o.shape, v: await o.data() });
  tf.dispose([...out, ...ts]);
  return vals;
}

function relError(gpu, cpu) {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < cpu.length; i++) {
    const d = Math.abs(gpu[i] - cpu[i]);
    if (!(d <= maxDiff)) maxDiff = d; // NaN propagates
    maxRef = Math.max(maxRef, Math.abs(cpu[i]));
  }
  return maxDiff / Math.max(maxRef, 1e-30);
}

const kernel = (name, inputs, attrs) => tf.engine().runKernel(name, inputs, attrs);

function parityCases(mods) {
  const conv = (x, k, co, s, pad) => ({
    inputs: [hostRandom(x, 1), hostRandom([k, k, x[3], co], 2)],
    fn: (a, w) => tf.conv2d(a, w, s, pad),
  });
  const dW = (x, k, co, s, pad) => {
    const outShape = tf.backend_util.computeConv2DInfo(x, [k, k, x[3], co], s, 1, pad).outShape;
    return {
      inputs: [hostRandom(x, 3), hostRandom(outShape, 4)],
      fn: (a, dy) =>
        kernel(
          'Conv2DBackpropFilter',
          { x: a, dy },
          { strides: s, pad, dataFormat: 'NHWC', filterShape: [k, k, x[3], co] },
        ),
    };
  };
  const dX = (x, k, co, s, pad) => {
    const outShape = tf.backend_util.computeConv2DInfo(x, [k, k, x[3], co], s, 1, pad).outShape;
    return {
      inputs: [hostRandom(outShape, 5), hostRandom([k, k, x[3], co], 6)],
      fn: (dy, w) =>
        kernel(
          'Conv2DBackpropInput',
          { dy, filter: w },
          { inputShape: x, strides: s, pad, dataFormat: 'NHWC' },
        ),
    };
  };
  const cases = [
    ['conv2d 3x3 same', '[8,32,32,16]→32', conv([8, 32, 32, 16], 3, 32, 1, 'same')],
    ['conv2d 3x3 s2 valid', '[4,33,33,8]→16', conv([4, 33, 33, 8], 3, 16, 2, 'valid')],
    ['Conv2DBackpropFilter (@cv)', '[8,32,32,16] 3x3→32', dW([8, 32, 32, 16], 3, 32, 1, 'same')],
    ['Conv2DBackpropFilter (@cv)', '[8,64,64,3] 3x3→16', dW([8, 64, 64, 3], 3, 16, 1, 'same')],
    ['Conv2DBackpropFilter (@cv)', '[4,33,33,8] 3x3 s2→16', dW([4, 33, 33, 8], 3, 16, 2, 'valid')],
    ['Conv2DBackpropFilter (@cv)', '[4,8,8,128] 3x3→128', dW([4, 8, 8, 128], 3, 128, 1, 'same')],
    ['Conv2DBackpropFilter (@cv)', '[2,17,19,5] 5x5→7 valid', dW([2, 17, 19, 5], 5, 7, 1, 'valid')],
    [
      'Conv2DBackpropFilter (tfjs)',
      '[8,32,32,16] 3x3→32',
      { ...dW([8, 32, 32, 16], 3, 32, 1, 'same'), original: 'Conv2DBackpropFilter' },
    ],
    ['Conv2DBackpropInput (tfjs)', '[8,32,32,16] 3x3→32', dX([8, 32, 32, 16], 3, 32, 1, 'same')],
    [
      'Conv2DBackpropInput (@cv)',
      '[8,32,32,16] 3x3→32',
      { ...dX([8, 32, 32, 16], 3, 32, 1, 'same'), ours: 'Conv2DBackpropInput' },
    ],
    ['Conv2DBackpropInput (tfjs)', '[4,33,33,8] 3x3 s2→16', dX([4, 33, 33, 8], 3, 16, 2, 'valid')],
    [
      'matMul',
      '[256,512]x[512,384]',
      { inputs: [hostRandom([256, 512], 7), hostRandom([512, 384], 8)], fn: (a, b) => tf.matMul(a, b) },
    ],
    [
      'batched matMul, Bᵀ',
      '[4,128,96]x[4,64,96]ᵀ',
      {
        inputs: [hostRandom([4, 128, 96], 9), hostRandom([4, 64, 96], 10)],
        fn: (a, b) => tf.matMul(a, b, false, true),
      },
    ],
    [
      'maxPool 2x2 + grad',
      '[8,32,32,16]',
      {
        inputs: [hostRandom([8, 32, 32, 16], 11)],
        fn: (a) => {
          const [y, g] = [
            tf.maxPool(a, 2, 2, 'valid'),
            tf.grad((z) => tf.maxPool(z, 2, 2, 'valid').square().sum())(a),
          ];
          return [y, g];
        },
      },
    ],
    [
      'avgPool 3x3 s1 + grad',
      '[4,16,16,8]',
      {
        inputs: [hostRandom([4, 16, 16, 8], 12)],
        fn: (a) => [
          tf.avgPool(a, 3, 1, 'same'),
          tf.grad((z) => tf.avgPool(z, 3, 1, 'same').square().sum())(a),
        ],
      },
    ],
    [
      'BatchNorm2d (train) + grads',
      '[8,16,16,32]',
      {
        // The loss weighs the normalized output with random weights r: a loss of the normalized output alone
        // (e.g. its mean square) has an exactly zero input gradient, whose rounding noise is no test.
        inputs: [hostRandom([8, 16, 16, 32], 13), hostRandom([8, 16, 16, 32], 22)],
        fn: (a, r) => {
          const bn = new core.BatchNorm2d(32);
          bn.train();
          const g = tf.grads((z) => bn.apply(z).mul(r).sum())([a]);
          return [bn.apply(a), ...g];
        },
      },
    ],
    [
      'conv→BN→ReLU→maxPool grads',
      '[4,32,32,8]→16',
      {
        inputs: [hostRandom([4, 32, 32, 8], 14), hostRandom([3, 3, 8, 16], 15)],
        fn: (a, w) => {
          const bn = new core.BatchNorm2d(16);
          bn.train();
          const g = tf.grads((x, f) =>
            tf
              .maxPool(tf.relu(bn.apply(tf.conv2d(x, f, 1, 'same'))), 2, 2, 'valid')
              .square()
              .mean(),
          )([a, w]);
          bn.dispose?.();
          return g;
        },
      },
    ],
    [
      'conv2dTranspose s2',
      '[4,16,16,16]→8',
      {
        inputs: [hostRandom([4, 16, 16, 16], 16), hostRandom([4, 4, 8, 16], 17)],
        fn: (a, w) =>
          tf.conv2dTranspose(a, w, [4, 32, 32, 8], 2, [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ]),
      },
    ],
  ];
  const tc = mods['transposed-conv'];
  if (tc && !tc.__notBuilt && tc.convTranspose2d) {
    cases.push([
      '@cv/transposed-conv convTranspose2d',
      '[2,8,8,16]→8 s2',
      {
        inputs: [hostRandom([2, 8, 8, 16], 18), hostRandom([4, 4, 8, 16], 19)],
        fn: (a, w) => tc.convTranspose2d(a, w, null, { stride: 2, padding: 1 }),
      },
    ]);
  }
  const rp = mods['roi-pool'];
  if (rp && !rp.__notBuilt && rp.roiAlign) {
    const rois = [
      [0, 1, 1, 12, 10],
      [1, 0, 2, 15, 15],
      [0, 4.5, 3.2, 9.7, 14.1],
    ];
    cases.push([
      '@cv/roi-pool roiAlign + grad',
      '[2,16,16,8] 3 RoIs 4x4',
      {
        inputs: [hostRandom([2, 16, 16, 8], 20)],
        fn: (a) => [
          rp.roiAlign(a, rois, 4, { samplingRatio: 2 }),
          tf.grad((z) => rp.roiAlign(z, rois, 4, { samplingRatio: 2 }).square().sum())(a),
        ],
      },
    ]);
    cases.push([
      '@cv/roi-pool roiPool + grad',
      '[2,16,16,8] 3 RoIs 4x4',
      {
        inputs: [hostRandom([2, 16, 16, 8], 21)],
        fn: (a) => [rp.roiPool(a, rois, 4, 1), tf.grad((z) => rp.roiPool(z, rois, 4, 1).square().sum())(a)],
      },
    ]);
  }
  return cases;
}

async function parity(mods) {
  const rows = [];
  let fails = 0;
  for (const [op, shape, c] of parityCases(mods)) {
    const t0 = performance.now();
    try {
      if (c.original) core.restoreWebgpuKernels([c.original]);
      if (c.ours) core.registerWebgpuKernels({ kernels: [c.ours] });
      const gpu = await runOn('webgpu', c.inputs, c.fn);
      if (c.original) core.registerWebgpuKernels();
      if (c.ours) core.restoreWebgpuKernels([c.ours]);
      const cpu = await runOn('cpu', c.inputs, c.fn);
      const err = Math.max(...cpu.map((o, i) => relError(gpu[i].v, o.v)));
      const ok = err <= 1e-3 && gpu.every((o, i) => o.shape.join() === cpu[i].shape.join());
      if (!ok) fails++;
      rows.push([op, shape, err.toExponential(2), ok ? 'ok' : 'FAIL', fmt(performance.now() - t0, 0)]);
      log(`  parity ${rows.at(-1).join(' | ')}`);
    } catch (err) {
      fails++;
      rows.push([
        op,
        shape,
        '—',
        `ERROR ${String(err.message).slice(0, 80)}`,
        fmt(performance.now() - t0, 0),
      ]);
      log(`  parity ${rows.at(-1).join(' | ')}`);
      core.registerWebgpuKernels();
    }
  }
  // Leak check of one training step on webgpu (conv + BN + ReLU + pool, our kernels).
  await tf.setBackend('webgpu');
  try {
    const x = T(hostRandom([2, 16, 16, 4], 30));
    const w = tf.variable(T(hostRandom([3, 3, 4, 8], 31)));
    await expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(
        () =>
          tf
            .maxPool(tf.relu(tf.conv2d(x, w, 1, 'same')), 2, 2, 'valid')
            .square()
            .mean(),
        [w],
      );
      tf.tidy(() => w.assign(w.sub(grads[w.name].mul(0.1))));
      tf.dispose([value, grads]);
    });
    rows.push(['leak check: one SGD step', '[2,16,16,4]→8', '—', 'ok', '']);
    tf.dispose([x, w]);
  } catch (err) {
    fails++;
    rows.push([
      'leak check: one SGD step',
      '[2,16,16,4]→8',
      '—',
      `FAIL ${String(err.message).slice(0, 80)}`,
      '',
    ]);
  }
  table(
    `Parity: webgpu vs cpu backend (max|gpu−cpu| / max|cpu| ≤ 1e-3), ${fails} failing`,
    ['op', 'shape', 'rel. error', 'result', 'ms'],
    rows,
  );
  results.sections.parity = { fails, rows };
}

// ---------------------------------------------------------------------------------------------- kernels
/** Reads one element: waits for every GPU command before it without downloading the whole tensor. */
async function sync(t) {
  const one = tf.tidy(() => t.reshape([-1]).slice(0, 1));
  await one.data();
  one.dispose();
}

/** Median-free mean over `reps` back-to-back runs after `warm` warm-ups (ms per run). */
async function timeOp(fn, reps, warm = 2) {
  for (let i = 0; i < warm; i++) {
    const y = fn();
    await sync(y);
    y.dispose();
  }
  const t0 = performance.now();
  let last;
  for (let i = 0; i < reps; i++) {
    if (last) last.dispose();
    last = fn();
  }
  await sync(last);
  const ms = (performance.now() - t0) / reps;
  last.dispose();
  return ms;
}

async function kernels() {
  await tf.setBackend('webgpu');
  const rows = [];
  const shapes = [
    // [x, k, co]: TinySSD's convolutions (the issue's 9.7-GFLOP case first)
    [[BATCH, sp(128), sp(128), 32], 3, 32],
    [[BATCH, sp(256), sp(256), 3], 3, 16],
    [[BATCH, sp(256), sp(256), 16], 3, 16],
    [[BATCH, sp(64), sp(64), 64], 3, 64],
    [[BATCH, sp(16), sp(16), 128], 3, 128],
  ];
  for (const [xs, k, co] of QUICK ? shapes.slice(0, 2) : shapes) {
    const fs = [k, k, xs[3], co];
    const gflop = (2 * xs[0] * xs[1] * xs[2] * co * k * k * xs[3]) / 1e9;
    const x = T(hostRandom(xs, 40));
    const w = T(hostRandom(fs, 41));
    const dy = T(hostRandom([xs[0], xs[1], xs[2], co], 42));
    const attrsF = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: fs };
    const attrsI = { inputShape: xs, strides: 1, pad: 'same', dataFormat: 'NHWC' };
    const reps = gflop > 5 ? 5 : 10;
    const r = { shape: `[${xs}] ${k}x${k}→${co}`, gflop };
    r.fwd = await timeOp(() => tf.conv2d(x, w, 1, 'same'), reps);
    core.restoreWebgpuKernels();
    r.dwTfjs = await timeOp(() => kernel('Conv2DBackpropFilter', { x, dy }, attrsF), gflop > 5 ? 2 : 3, 1);
    r.dxTfjs = await timeOp(() => kernel('Conv2DBackpropInput', { dy, filter: w }, attrsI), reps);
    core.registerWebgpuKernels({ kernels: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'] });
    r.dwCv = await timeOp(() => kernel('Conv2DBackpropFilter', { x, dy }, attrsF), reps);
    r.dxCv = await timeOp(() => kernel('Conv2DBackpropInput', { dy, filter: w }, attrsI), reps);
    core.restoreWebgpuKernels(['Conv2DBackpropInput']);
    tf.dispose([x, w, dy]);
    rows.push(r);
    log(
      `  kernels ${r.shape}: ${JSON.stringify(Object.fromEntries(Object.entries(r).map(([k2, v]) => [k2, typeof v === 'number' ? +v.toFixed(2) : v])))}`,
    );
  }
  {
    const n = sp(2048);
    const a = T(hostRandom([n, n], 43));
    const b = T(hostRandom([n, n], 44));
    const ms = await timeOp(() => tf.matMul(a, b), 10);
    rows.push({ shape: `matMul ${n}³`, gflop: (2 * n ** 3) / 1e9, fwd: ms });
    tf.dispose([a, b]);
  }
  const tflops = (g, ms) => (ms ? fmt(g / ms, 2) : '—');
  table(
    'Kernels on webgpu, ms (TFLOP/s): forward conv, filter gradient and input gradient, tfjs-backend-webgpu 4.22 vs @cv/core',
    ['conv', 'GFLOP', 'forward', 'dW tfjs', 'dW @cv', 'dW speed-up', 'dX tfjs', 'dX @cv'],
    rows.map((r) => [
      r.shape,
      fmt(r.gflop, 2),
      `${fmt(r.fwd, 2)} (${tflops(r.gflop, r.fwd)})`,
      r.dwTfjs ? `${fmt(r.dwTfjs, 2)} (${tflops(r.gflop, r.dwTfjs)})` : '—',
      r.dwCv ? `${fmt(r.dwCv, 2)} (${tflops(r.gflop, r.dwCv)})` : '—',
      r.dwCv ? `${fmt(r.dwTfjs / r.dwCv, 1)}x` : '—',
      r.dxTfjs ? `${fmt(r.dxTfjs, 2)} (${tflops(r.gflop, r.dxTfjs)})` : '—',
      r.dxCv ? `${fmt(r.dxCv, 2)} (${tflops(r.gflop, r.dxCv)})` : '—',
    ]),
  );
  results.sections.kernels = rows;
}

// -------------------------------------------------------------------------------------------- training
/** TinySSD's down-sample blocks as a plain stack: 3→16→32→64→128→128, each (conv3x3 + BN + ReLU) x2 + maxPool 2. */
function tinySsdStack() {
  const layers = [];
  const channels = [3, 16, 32, 64, 128, 128];
  for (let i = 0; i + 1 < channels.length; i++) {
    let c = channels[i];
    for (let j = 0; j < 2; j++) {
      layers.push(
        new core.Conv2d(c, channels[i + 1], 3, { padding: 1 }),
        new core.BatchNorm2d(channels[i + 1]),
        new core.ReLU(),
      );
      c = channels[i + 1];
    }
    layers.push(new core.MaxPool2d(2));
  }
  return new core.Sequential(...layers);
}

async function trainStack(variant, steps) {
  core.restoreWebgpuKernels();
  if (variant.kernels.length) core.registerWebgpuKernels({ kernels: variant.kernels });
  const model = tinySsdStack();
  model.train();
  const params = model.parameters();
  const opt = new core.SGD(params, { lr: 0.01 });
  const x = T(hostRandom([BATCH, HW, HW, 3], 50));
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => model.apply(x).square().mean(), params);
    opt.step(grads);
    const v = (await value.data())[0];
    tf.dispose([value, grads]);
    return v;
  };
  const t0 = performance.now();
  await step();
  const firstMs = performance.now() - t0;
  await step();
  const t1 = performance.now();
  let loss = 0;
  for (let i = 0; i < steps; i++) loss = await step();
  const ms = (performance.now() - t1) / steps;
  // Forward only and forward + backward without the update, for the split.
  const tf0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const y = tf.tidy(() => model.apply(x).square().mean());
    await y.data();
    y.dispose();
  }
  const fwdMs = (performance.now() - tf0) / steps;
  model.dispose?.();
  opt.dispose?.();
  x.dispose();
  return { variant: variant.name, firstMs, ms, fwdMs, examplesPerS: (BATCH * 1000) / ms, loss };
}

async function train(torch) {
  await tf.setBackend('webgpu');
  const rows = [];
  for (const [variant, steps] of [
    [{ name: 'tfjs-backend-webgpu 4.22 kernels', kernels: [] }, QUICK ? 1 : 2],
    [{ name: '@cv/core dW', kernels: ['Conv2DBackpropFilter'] }, QUICK ? 3 : 10],
    [{ name: '@cv/core dW + dX', kernels: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'] }, QUICK ? 3 : 10],
    // Column sums for the BatchNorm statistics and bias gradients (on request until measured here).
    [{ name: '@cv/core dW + Sum/Mean', kernels: ['Conv2DBackpropFilter', 'Sum', 'Mean'] }, QUICK ? 3 : 10],
  ]) {
    try {
      const r = await trainStack(variant, steps);
      rows.push(r);
      log(`  train ${JSON.stringify(r)}`);
    } catch (err) {
      rows.push({ variant: variant.name, error: err.message });
      log(`  train ${variant.name}: ERROR ${err.message}`);
    }
  }
  core.restoreWebgpuKernels();
  core.registerWebgpuKernels();
  const out = rows.map((r) => [
    `tfjs webgpu, ${r.variant}`,
    r.error ? `ERROR ${r.error.slice(0, 60)}` : fmt(r.examplesPerS, 1),
    fmt(r.ms, 1),
    fmt(r.fwdMs, 1),
    fmt(r.firstMs, 0),
  ]);
  if (torch?.stack) {
    for (const t of torch.stack)
      out.push([
        `PyTorch ${torch.torch} ${t.name}`,
        fmt(t.examples_per_s, 1),
        fmt(t.ms, 1),
        fmt(t.fwd_ms, 1),
        '',
      ]);
  } else {
    out.push(['PyTorch', torch?.error ? `ERROR ${torch.error}` : 'not run', '', '', '']);
  }
  table(
    `Training a TinySSD-shaped stack (10 conv3x3 + BN + ReLU, 5 maxPool; batch ${BATCH}, ${HW}x${HW}, SGD)`,
    ['run', 'examples/s', 'ms/step', 'forward ms', 'first step ms'],
    out,
  );
  results.sections.train = { rows, torch };
}

// -------------------------------------------------------------------------------------------- profile
/**
 * One training step of the stack under tf.profile: GPU time per kernel (timestamp queries: run.sh passes
 * Dawn's allow_unsafe_apis; without them tfjs reports 0 ms and only the counts mean something).
 */
async function profile() {
  await tf.setBackend('webgpu');
  core.restoreWebgpuKernels();
  core.registerWebgpuKernels();
  const model = tinySsdStack();
  model.train();
  const params = model.parameters();
  const opt = new core.SGD(params, { lr: 0.01 });
  const x = T(hostRandom([BATCH, HW, HW, 3], 51));
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => model.apply(x).square().mean(), params);
    opt.step(grads);
    await value.data();
    tf.dispose([value, grads]);
  };
  await step();
  await step();
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wallMs = performance.now() - t0;
  const by = new Map();
  let total = 0;
  for (const k of info.kernels) {
    const ms = Number(await k.kernelTimeMs) || 0;
    total += ms;
    const e = by.get(k.name) ?? { n: 0, ms: 0, worst: 0, shapes: '' };
    e.n++;
    e.ms += ms;
    if (ms >= e.worst) {
      e.worst = ms;
      e.shapes = `${JSON.stringify(k.inputShapes)}→${JSON.stringify(k.outputShapes)}`;
    }
    by.set(k.name, e);
  }
  const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms || b[1].n - a[1].n);
  table(
    `GPU time per kernel in one training step of the stack (@cv/core dW; ${info.kernels.length} kernels, ${fmt(total, 1)} ms GPU, ${fmt(wallMs, 0)} ms wall under the profiler)`,
    ['kernel', 'calls', 'GPU ms', 'worst call ms', 'worst call shapes'],
    rows.slice(0, 15).map(([name, e]) => [name, e.n, fmt(e.ms, 2), fmt(e.worst, 2), e.shapes.slice(0, 90)]),
  );
  results.sections.profile = {
    kernels: info.kernels.length,
    totalGpuMs: total,
    wallMs,
    rows: rows.map(([n, e]) => ({ name: n, ...e })),
  };
  model.dispose?.();
  x.dispose();
}

// --------------------------------------------------------------------------------------------- models
/** PyTorch's result for a model on this GPU (run.sh writes torch-<name>.json into --torch-models). */
function torchModel(name) {
  if (typeof args['torch-models'] !== 'string') return undefined;
  try {
    return JSON.parse(readFileSync(`${args['torch-models']}/torch-${name}.json`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A table row for PyTorch's step beside ours (`oursMs`): ours ÷ PyTorch time in the note. */
function torchRow(name, t, perS, ms, oursMs, note = '') {
  if (!t) return [name, 'not run', '', ''];
  return [
    `${name}, torch ${t.torch} on ${t.device}`,
    fmt(perS, 1),
    fmt(ms, 1),
    `ours takes ${fmt(oursMs / ms, 1)}x its time${note ? `; ${note}` : ''}`,
  ];
}

async function models(modules) {
  let mods = modules;
  const rows = [];
  const only = typeof args.models === 'string' ? args.models.split(',') : ['ssd', 'fcn', 'style-transfer'];
  for (const m of ['ssd', 'fcn', 'style-transfer'])
    if (!only.includes(m)) mods = { ...mods, [m]: { __notBuilt: 'skipped (--models)' } };
  const ssd = mods.ssd;
  if (!ssd || ssd.__notBuilt) rows.push(['@cv/ssd TinySSD trainStep', 'not built', '', '']);
  else {
    try {
      await tf.setBackend('webgpu');
      const model = ssd.tinySsd();
      const opt = new core.SGD(model.parameters(), { lr: 0.2, weightDecay: 5e-4 });
      const images = tf.randomUniform([BATCH, HW, HW, 3]);
      const r = rng(60);
      const lab = [];
      for (let b = 0; b < BATCH; b++) {
        const x1 = r() * 0.6;
        const y1 = r() * 0.6;
        lab.push([0, x1, y1, x1 + 0.1 + r() * 0.3, y1 + 0.1 + r() * 0.3]);
      }
      const labels = tf.tensor(lab, [BATCH, 1, 5]);
      await ssd.trainStep(model, opt, images, labels);
      await ssd.trainStep(model, opt, images, labels);
      const n = QUICK ? 2 : 5;
      let targetMs = 0;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) targetMs += (await ssd.trainStep(model, opt, images, labels)).targetMs;
      const ms = (performance.now() - t0) / n;
      rows.push([
        `@cv/ssd TinySSD trainStep (batch ${BATCH}, ${HW}x${HW})`,
        fmt((BATCH * 1000) / ms, 1),
        fmt(ms, 1),
        `multiboxTarget ${fmt(targetMs / n, 1)} ms`,
      ]);
      const t = torchModel('ssd');
      rows.push(
        torchRow(
          "PyTorch TinySSD, the seed's loop (d2l multibox_target)",
          t,
          t?.examplesPerSecond,
          t?.stepMs,
          ms,
          t ? `multibox_target ${fmt(100 * t.targetShare, 0)}% of its step` : '',
        ),
      );
      model.dispose();
      tf.dispose([images, labels]);
    } catch (err) {
      rows.push(['@cv/ssd TinySSD trainStep', `ERROR ${String(err.message).slice(0, 300)}`, '', '']);
      log(`  model error: ${err.stack}`);
    }
  }
  const fcn = mods.fcn;
  if (!fcn || fcn.__notBuilt) rows.push(['@cv/fcn FCN step', 'not built', '', '']);
  else {
    try {
      await tf.setBackend('webgpu');
      const model = new fcn.FCN({ numClasses: 21 });
      model.train?.();
      const params = model.parameters();
      const opt = new core.SGD(params, { lr: 1e-3, weightDecay: 1e-3 });
      const B = Math.min(8, BATCH);
      // Multiples of 32 (the FCN's stride): 320x480 on the GPU.
      const [h, w] = [320, 480].map((d) => Math.max(32, Math.round(sp(d) / 32) * 32));
      const x = tf.randomUniform([B, h, w, 3]);
      const y = tf.randomUniform([B, h, w], 0, 21, 'int32');
      await y.data(); // the labels stay on the host too, where crossEntropy checks their class indices
      const step = async () => {
        const { value, grads } = tf.variableGrads(() => fcn.fcnLoss(model.apply(x), y), params);
        opt.step(grads);
        await value.data();
        tf.dispose([value, grads]);
      };
      await step();
      await step();
      const n = QUICK ? 2 : 4;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await step();
      const ms = (performance.now() - t0) / n;
      rows.push([
        `@cv/fcn FCN ResNet-18 step (batch ${B}, ${h}x${w})`,
        fmt((B * 1000) / ms, 1),
        fmt(ms, 1),
        '',
      ]);
      const t = torchModel('fcn');
      rows.push(
        torchRow(
          'PyTorch FCN step (d2l, torchvision resnet18)',
          t,
          t?.trainExamplesPerSecond,
          t?.trainStepMs,
          ms,
        ),
      );
      model.dispose();
      tf.dispose([x, y]);
    } catch (err) {
      rows.push(['@cv/fcn FCN step', `ERROR ${String(err.message).slice(0, 300)}`, '', '']);
      log(`  model error: ${err.stack}`);
    }
  }
  const st = mods['style-transfer'];
  if (!st || st.__notBuilt) rows.push(['@cv/style-transfer step', 'not built', '', '']);
  else {
    try {
      await tf.setBackend('webgpu');
      const net = new st.Vgg19();
      const content = tf.randomUniform([1, sp(300), sp(450), 3]);
      const style = tf.randomUniform([1, sp(300), sp(450), 3]);
      const syn = new st.Synthesizer(net, content, style);
      const once = () => syn.stepAsync();
      await once();
      await once();
      const n = QUICK ? 3 : 10;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await once();
      const ms = (performance.now() - t0) / n;
      rows.push([
        `@cv/style-transfer Synthesizer.stepAsync (${sp(300)}x${sp(450)})`,
        fmt(1000 / ms, 1),
        fmt(ms, 1),
        'steps/s',
      ]);
      const t = torchModel('style-transfer');
      rows.push(
        torchRow(
          'PyTorch style transfer step (d2l, VGG-19 features)',
          t,
          t && 1000 / (t.secondsPerStep * 1000),
          t && t.secondsPerStep * 1000,
          ms,
          'steps/s',
        ),
      );
      syn.dispose();
      net.dispose();
      tf.dispose([content, style]);
    } catch (err) {
      rows.push(['@cv/style-transfer step', `ERROR ${String(err.message).slice(0, 300)}`, '', '']);
      log(`  model error: ${err.stack}`);
    }
  }
  table(
    'Model packages on webgpu (random weights and data)',
    ['model', 'examples/s', 'ms/step', 'note'],
    rows,
  );
  results.sections.models = rows;
}

// ----------------------------------------------------------------------------------------------- main
const tfErr = await core.initBackend('tensorflow', { log: false }).then(
  (i) => `available: ${JSON.stringify(i.details)}`,
  (e) => e.message,
);
log(`tensorflow: ${tfErr}`);
results.tensorflow = tfErr;
// As an app bundle does (DESIGN.md, trap 5): Dawn's globals and navigator.gpu first, then the backend.
// 'webgpu' stays outside the bundle: on the GPU machine it is the stand-in that loads dawn.node (prepare.sh).
if (args.software) {
  // Try the script where there is no GPU: Dawn's OpenGL backend on Mesa llvmpipe (slow; no timings).
  const { installSoftwareWebgpu } = await import('../../packages/core/src/webgpu/software-adapter.ts');
  log(`software WebGPU: ${JSON.stringify(await installSoftwareWebgpu())}`);
} else {
  try {
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    const flags = typeof args.dawn === 'string' ? args.dawn.split(';') : [];
    const gpu = dawn.create(flags);
    // --compat: WebGPU compatibility mode, which Dawn's OpenGL(ES) backends need (a fallback where Vulkan fails).
    const value = args.compat
      ? { gpu: { requestAdapter: (o = {}) => gpu.requestAdapter({ ...o, featureLevel: 'compatibility' }) } }
      : { gpu };
    Object.defineProperty(globalThis, 'navigator', { value, configurable: true, writable: true });
    log(`Dawn loaded (flags ${JSON.stringify(flags)})`);
  } catch (err) {
    log(`Dawn failed to load: ${err.message}`);
  }
}
await import('@tensorflow/tfjs-backend-webgpu');
if (!(await startWebgpu())) {
  if (args.out) writeFileSync(args.out, JSON.stringify(results, null, 1));
  process.exit(2);
}
if (args.probe) process.exit(0);

const mods = {};
for (const [name, load] of [
  ['ssd', () => import('@cv/ssd')],
  ['fcn', () => import('@cv/fcn')],
  ['style-transfer', () => import('@cv/style-transfer')],
  ['roi-pool', () => import('@cv/roi-pool')],
  ['transposed-conv', () => import('@cv/transposed-conv')],
]) {
  try {
    mods[name] = await load();
  } catch (err) {
    mods[name] = { __notBuilt: `${name}: failed to load: ${err.message}` };
  }
}
log(
  `packages: ${Object.entries(mods)
    .map(([k, m]) => `${k} ${m.__notBuilt ? 'not built' : 'built'}`)
    .join(', ')}`,
);

let torch;
if (typeof args.torch === 'string') {
  try {
    torch = JSON.parse(readFileSync(args.torch, 'utf8'));
  } catch (err) {
    torch = { error: `no PyTorch results (${err.message})` };
  }
}
for (const s of SECTIONS) {
  const t0 = performance.now();
  try {
    if (s === 'parity') await parity(mods);
    else if (s === 'kernels') await kernels();
    else if (s === 'train') await train(torch);
    else if (s === 'profile') await profile();
    else if (s === 'models') await models(mods);
  } catch (err) {
    log(`section ${s}: ERROR ${err.stack}`);
    results.sections[s] = { error: err.message };
  }
  log(`(section ${s}: ${fmt((performance.now() - t0) / 1000, 1)} s)`);
  if (args.out) writeFileSync(args.out, JSON.stringify(results, null, 1));
}
