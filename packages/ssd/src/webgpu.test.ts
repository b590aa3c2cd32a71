// @cv/ssd on the WebGPU backend in Node, where tfjs-backend-webgpu has no synchronous read: a training step,
// detection and evaluation must read values back only through awaited reads (or host-made tensors) and give
// the CPU backend's results. Runs on the software WebGPU device (Dawn's OpenGL backend on Mesa llvmpipe);
// CV_REQUIRE_SOFTWARE_WEBGPU=1 (set by .ci/run) turns a missing device into a failure. The same code on a
// real GPU: bench/gpu/run.sh.
import { initBackend, SGD } from '@cv/core';
import { expectClose, installSoftwareWebgpu } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { detect } from './detect.js';
import { evaluateSsd } from './evaluate.js';
import type { Ssd } from './ssd.js';
import { tinySsd } from './tiny-ssd.js';
import { trainStep } from './train-step.js';

const software = await installSoftwareWebgpu();
const SIZE = 64;
const B = 2;

/** Host values of the batch: random pixels with a bright square, and its box. */
function batch() {
  const images = new Float32Array(B * SIZE * SIZE * 3);
  let s = 7;
  for (let i = 0; i < images.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    images[i] = (s / 2 ** 32) * 60;
  }
  const boxes = [
    [0.1, 0.2, 0.55, 0.6],
    [0.4, 0.3, 0.9, 0.85],
  ];
  for (let b = 0; b < B; b++) {
    const [x1, y1, x2, y2] = boxes[b]!.map((v) => Math.round(v * SIZE));
    for (let y = y1!; y < y2!; y++)
      for (let x = x1!; x < x2!; x++)
        for (let c = 0; c < 3; c++) images[((b * SIZE + y) * SIZE + x) * 3 + c] = 220;
  }
  return { images, labels: Float32Array.from(boxes.flatMap((b) => [0, ...b])) };
}

interface Run {
  loss: number;
  correct: number;
  params: Record<string, Float32Array>;
  detections: Awaited<ReturnType<typeof detect>>;
  evaluation: { classError: number; bboxMae: number; loss: number };
}

/** On `backend`: a TinySSD with `weights`, one training step (micro-batches of 1), detection, evaluation. */
async function run(
  backend: 'cpu' | 'webgpu',
  weights: Record<string, { shape: number[]; values: Float32Array }>,
) {
  await tf.setBackend(backend);
  const { images, labels } = batch();
  const net: Ssd = tinySsd();
  const dict = Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, tf.tensor(w.values, w.shape)]));
  net.loadStateDict(dict);
  tf.dispose(Object.values(dict));
  const x = tf.tensor4d(images, [B, SIZE, SIZE, 3]);
  const y = tf.tensor3d(labels, [B, 1, 5]);
  const opt = new SGD(net.parameters(), { lr: 0.2, weightDecay: 5e-4 });
  try {
    const r = await trainStep(net, opt, x, y, { microBatch: 1 });
    const params: Record<string, Float32Array> = {};
    for (const [k, p] of Object.entries(net.stateDict())) {
      params[k] = (await p.data()) as Float32Array;
      p.dispose();
    }
    const detections = await detect(net, x, { scoreThreshold: 0 });
    const ev = await evaluateSsd(
      net,
      (async function* () {
        yield [x, y];
      })(),
    );
    const out: Run = {
      loss: r.loss,
      correct: r.correct,
      params,
      detections,
      evaluation: { classError: ev.classError, bboxMae: ev.bboxMae, loss: ev.loss },
    };
    return out;
  } finally {
    opt.dispose();
    net.dispose();
    tf.dispose([x, y]);
  }
}

if (!software.ok && process.env.CV_REQUIRE_SOFTWARE_WEBGPU === '1') {
  describe('@cv/ssd on webgpu', () => {
    it('needs the software WebGPU device that CV_REQUIRE_SOFTWARE_WEBGPU=1 asks for', () => {
      throw new Error(
        `no software WebGPU device: ${software.reason} (apt-get install -y libegl-mesa0 libgl1-mesa-dri)`,
      );
    });
  });
} else if (!software.ok) {
  // Announced, not silent: the same suite runs wherever Mesa is installed (CI requires it).
  console.warn(`@cv/ssd webgpu tests: no software WebGPU device here (${software.reason})`);
  describe.skip(`@cv/ssd on webgpu (no software WebGPU device: ${software.reason})`, () => {
    it('trains, detects and evaluates as on cpu', () => {});
  });
} else {
  describe(`@cv/ssd on webgpu in Node, no synchronous reads (${software.adapter})`, () => {
    afterAll(async () => {
      await tf.setBackend('cpu');
    });

    it('a training step, detect and evaluateSsd give the CPU backend results', async () => {
      await initBackend('cpu', { log: false });
      const init = tinySsd();
      const weights: Record<string, { shape: number[]; values: Float32Array }> = {};
      for (const [k, t] of Object.entries(init.stateDict())) {
        weights[k] = { shape: t.shape, values: t.dataSync() as Float32Array };
        t.dispose();
      }
      init.dispose();
      const cpu = await run('cpu', weights);
      await initBackend('webgpu', { log: false });
      const gpu = await run('webgpu', weights);
      expectClose(gpu.loss, cpu.loss, { rtol: 1e-3, what: 'loss' });
      expect(gpu.correct).toBe(cpu.correct);
      for (const [k, v] of Object.entries(cpu.params)) {
        const scale = v.reduce((m, a) => Math.max(m, Math.abs(a)), 1e-3);
        expectClose(gpu.params[k]!, v, { atol: 1e-3 * scale, rtol: 1e-3, what: `${k} after one step` });
      }
      expectClose(gpu.evaluation.loss, cpu.evaluation.loss, { rtol: 1e-3, what: 'evaluation loss' });
      expectClose(gpu.evaluation.classError, cpu.evaluation.classError, { atol: 1e-6, what: 'class error' });
      expectClose(gpu.evaluation.bboxMae, cpu.evaluation.bboxMae, { rtol: 1e-3, what: 'box MAE' });
      expect(gpu.detections.map((d) => d.length)).toEqual(cpu.detections.map((d) => d.length));
      for (let i = 0; i < B; i++) {
        const best = (r: Run) => r.detections[i]![0]!;
        expectClose(best(gpu).score, best(cpu).score, { rtol: 1e-3, what: `image ${i} best score` });
        expectClose(best(gpu).boxNormalized, best(cpu).boxNormalized, {
          atol: 1e-3,
          what: `image ${i} best box`,
        });
      }
    }, 300_000);
  });
}
