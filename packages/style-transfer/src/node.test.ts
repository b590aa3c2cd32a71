import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend, readImage } from '@cv/core';
import { countTensors } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { styleTransfer, VGG19_TIMM_URL } from './node.js';
import { deterministicStateDict } from './test-utils.js';

describe('styleTransfer (Node, wasm)', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('wasm', { log: false });
    dir = mkdtempSync(path.join(os.tmpdir(), 'cv-style-node-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const content = () => tf.randomUniform([20, 30, 3], 0, 256, 'int32', 1);
  const style = () => tf.randomUniform([24, 24, 3], 0, 1, 'float32', 2);

  it('runs the loop with weights and writes the result, snapshots and the loss plot', async () => {
    const weights = deterministicStateDict(5);
    const c = content();
    const s = style();
    const lines: string[] = [];
    const steps: number[] = [];
    const before = countTensors();
    const r = await styleTransfer({
      content: c,
      style: s,
      weights,
      steps: 4,
      size: [16, 24],
      contentLayers: [2],
      styleLayers: [0, 5],
      outDir: dir,
      snapshotsEvery: 2,
      historyEvery: 3,
      progress: false,
      log: (l) => lines.push(l),
      onStep: (l) => {
        steps.push(l.step);
      },
    });
    try {
      expect(countTensors()).toBe(before + 1); // the result image
      expect(r.weights).toBe('torchvision');
      expect(steps).toEqual([1, 2, 3, 4]);
      expect(r.image.shape).toEqual([16, 24, 3]);
      expect(r.history.records.map((x) => x.epoch)).toEqual([3, 4]);
      expect(r.history.metricNames()).toEqual(['content', 'style', 'TV']);
      expect(r.last!.content).toBeGreaterThan(0);
      expect(r.files.snapshots.map((f) => path.basename(f))).toEqual(['snapshot-2.png', 'snapshot-4.png']);
      for (const f of [r.files.result!, r.files.plot!, ...r.files.snapshots])
        expect(existsSync(f)).toBe(true);
      const png = await readImage(r.files.result!);
      expect(png.shape).toEqual([16, 24, 3]);
      png.dispose();
      expect(lines.join('\n')).toMatch(/loaded 6 VGG-19 tensors \(torchvision names\)/);
      expect(lines.join('\n')).not.toMatch(/RANDOM/);
    } finally {
      tf.dispose([c, s, r.image, ...Object.values(weights)]);
    }
  });

  it('says clearly that it runs on random weights, and what to pass', async () => {
    const lines: string[] = [];
    const c = content();
    const r = await styleTransfer({
      content: c,
      style: c,
      steps: 1,
      size: [8, 8],
      contentLayers: [2],
      styleLayers: [0],
      progress: false,
      log: (l) => lines.push(l),
      weightsHint: '--weights <file|url>',
    });
    tf.dispose([c, r.image]);
    expect(r.weights).toBe('random');
    const text = lines.join('\n');
    expect(text).toMatch(/RANDOM VGG-19 weights/);
    expect(text).toContain('--weights <file|url>');
    expect(text).toContain(VGG19_TIMM_URL);
  });

  it('validates its options', async () => {
    await expect(styleTransfer({ content: 'x.png', style: 'y.png', steps: 0 })).rejects.toThrow(
      /styleTransfer: options.steps must be an integer ≥ 1, got 0/,
    );
    await expect(
      styleTransfer({ content: 'x.png', style: 'y.png', size: [300, 1.5] as [number, number] }),
    ).rejects.toThrow(/styleTransfer: options.size must be \[height, width\], integers ≥ 2/);
    await expect(styleTransfer({ content: 'x.png', style: 'y.png', snapshotsEvery: 5 })).rejects.toThrow(
      /snapshotsEvery needs options.outDir/,
    );
    await expect(
      styleTransfer({
        content: path.join(dir, 'nope.png'),
        style: 'y.png',
        steps: 1,
        size: [8, 8],
        log: false,
      }),
    ).rejects.toThrow(/readImage: cannot decode/);
  });
});
