import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as core from '@cv/core';
import { expectClose, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
// Golden values from d2l's PyTorch TinySSD: fixtures/make_tiny_ssd_fixture.py (run with /usr/bin/python3); the
// deterministic weights and input are rebuilt by fixtures/tiny-ssd-fixture.mjs.
import {
  fixtureInput,
  fixture as fx,
  loadFixtureWeights,
  stepParity,
} from '../fixtures/tiny-ssd-fixture.mjs';
import * as ssd from './index.js';
import { tinySsd } from './tiny-ssd.js';

type Diffs = Record<string, { max: number; sumDiff: number; size: number }>;

/** Every sampled parameter and buffer within 1e-4 (absolute + relative, as expectClose), sums too. */
function checkStep(result: { loss: number; leaked: number; diffs: Diffs }): void {
  expect(result.loss).toBeCloseTo(fx.loss, 5);
  expect(result.leaked).toBe(0);
  for (const [name, d] of Object.entries(result.diffs)) {
    const ref = fx.after[name] as { values: number[]; sum: number };
    const scale = Math.max(...ref.values.map(Math.abs));
    expect(d.max, `${name} after one step`).toBeLessThanOrEqual(1e-4 + 1e-4 * scale);
    expect(d.sumDiff, `${name} sum`).toBeLessThanOrEqual(1e-4 * Math.max(1, d.size / 100, Math.abs(ref.sum)));
  }
}

describe('TinySSD structure', () => {
  beforeAll(() => core.initBackend('wasm', { log: false }));
  it('has d2l parameter names in PyTorch order', () => {
    const net = tinySsd();
    const dict = net.stateDict();
    expect(Object.keys(dict)).toEqual(Object.keys(fx.after));
    for (const [k, v] of Object.entries(dict)) expect(v.shape, k).toEqual(fx.after[k]!.shape);
    tf.dispose(Object.values(dict));
    net.dispose();
  });
  it('gives the seed shapes at 256x256', () => {
    const net = tinySsd();
    net.eval();
    const out = net.apply(tf.zeros([2, 256, 256, 3]));
    expect(out.anchors.shape).toEqual([1, 5444, 4]);
    expect(out.clsPreds.shape).toEqual([2, 5444, 2]);
    expect(out.bboxPreds.shape).toEqual([2, 21776]);
    tf.dispose(out);
    net.dispose();
  });
  it("ssdAnchorSizes is the SSD paper's rule: (0.2, 0.88) gives d2l's sizes", () => {
    const sizes = ssd.ssdAnchorSizes(0.2, 0.88);
    expect(sizes).toHaveLength(5);
    sizes.forEach((pair, i) => {
      expect(pair[0]).toBeCloseTo(ssd.TINY_SSD_SIZES[i]![0]!, 10);
      expect(pair[1]).toBeCloseTo(ssd.TINY_SSD_SIZES[i]![1]!, 3);
    });
    expect(ssd.ssdAnchorSizes(0.1, 0.5)[0]).toEqual([0.1, Math.sqrt(0.1 * 0.2)]);
    expect(() => ssd.ssdAnchorSizes(0.5, 0.1)).toThrow(
      /maxScale must be a number ≥ minScale \(0.5\), got 0.1/,
    );
    expect(() => ssd.ssdAnchorSizes(0, 0.5)).toThrow(/minScale must be a positive number, got 0/);
    expect(() => ssd.ssdAnchorSizes(0.1, 0.5, 1)).toThrow(/scales must be an integer ≥ 2/);
  });
  it('takes other anchor sizes (same predictors, smaller anchors)', () => {
    const sizes = ssd.ssdAnchorSizes(0.1, 0.5);
    const net = tinySsd({ sizes });
    expect(net.config.sizes).toEqual(sizes);
    const out = net.apply(tf.zeros([1, 256, 256, 3]));
    expect(out.anchors.shape).toEqual([1, 5444, 4]);
    // the first anchor: size 0.1 centred on the first of 32x32 cells
    const c = 0.5 / 32;
    const first = out.anchors.slice([0, 0, 0], [1, 1, 4]);
    expectClose(Array.from(first.dataSync()), [c - 0.05, c - 0.05, c + 0.05, c + 0.05], { atol: 1e-6 });
    expect(() => tinySsd({ sizes: sizes.slice(1) })).toThrow(/sizes must be 5 lists/);
    tf.dispose([out, first]);
    net.dispose();
  });
});

for (const backend of await testBackends()) {
  describe(`TinySSD parity with PyTorch (${backend})`, () => {
    beforeAll(() => core.initBackend(backend, { log: false }));

    it('forward outputs match within 1e-4', () => {
      const net = tinySsd();
      loadFixtureWeights(tf, net);
      const x = fixtureInput(tf);
      const out = net.apply(x);
      expect(out.anchors.shape).toEqual(fx.anchorsShape);
      expectClose(out.anchors, tf.tensor(fx.anchors, fx.anchorsShape), {
        atol: 1e-6,
        rtol: 1e-5,
        what: 'anchors',
      });
      expectClose(out.clsPreds, tf.tensor(fx.clsPreds, fx.clsPredsShape), {
        atol: 1e-4,
        rtol: 1e-4,
        what: 'clsPreds',
      });
      expectClose(out.bboxPreds, tf.tensor(fx.bboxPreds, out.bboxPreds.shape), {
        atol: 1e-4,
        rtol: 1e-4,
        what: 'bboxPreds',
      });
      tf.dispose([out, x]);
      net.dispose();
    });

    it('one SGD step (lr 0.2, weight decay 5e-4) gives the same parameters and buffers within 1e-4', async () => {
      if (backend === 'cpu') {
        // The CPU backend's plain-JS Conv2DBackpropFilter keeps the thread busy for a minute or more: run the
        // step in a child process (built dist) so the test worker stays responsive.
        const script = fileURLToPath(new URL('../fixtures/step-parity.mjs', import.meta.url));
        const { stdout } = await promisify(execFile)(process.execPath, [script, 'cpu'], {
          maxBuffer: 1 << 24,
        });
        checkStep(JSON.parse(stdout));
      } else {
        checkStep(await stepParity(tf, core, ssd));
      }
    }, 600_000);
  });
}
