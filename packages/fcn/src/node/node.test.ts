import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { initBackend, SGD, writeSafetensorsFile } from '@cv/core';
import { expectClose } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FCN } from '../fcn.js';
import { fixtureResNetDict, loadFixture } from '../test-support.js';
import { trainFcn } from '../train.js';
import { checkpointEveryEpoch, loadResNetWeightsFrom, resumeFcn } from './index.js';

const fx = loadFixture();

describe('wasm: @cv/fcn/node', () => {
  let dir: string;
  let fcn: FCN;
  beforeAll(async () => {
    await initBackend('wasm', { log: false });
    dir = await mkdtemp(path.join(os.tmpdir(), 'cv-fcn-'));
    fcn = new FCN({ numClasses: 3 });
  });
  afterAll(async () => {
    fcn.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads timm-style safetensors (float16) from a file and from a URL (downloaded once into the cache)', async () => {
    const dict = fixtureResNetDict(fx.resnet18_keys);
    const file = path.join(dir, 'model.safetensors');
    const tensors = Object.fromEntries(
      [...dict].map(([k, v]) => [k, tf.tensor(Float32Array.from(v.data as Float32Array), [...v.shape])]),
    );
    await writeSafetensorsFile(file, tensors, { format: 'pt' }, { floatDtype: 'F16' });
    tf.dispose(Object.values(tensors));
    expect(await loadResNetWeightsFrom(fcn.backbone, file)).toEqual({ loaded: dict.size, fcLoaded: true });
    const conv1 = dict.get('conv1.weight')!;
    const got = fcn.backbone.stateDict();
    expectClose(
      got['conv1.weight']!,
      tf.tensor(Float32Array.from(conv1.data as Float32Array), [...conv1.shape]),
      {
        atol: 2e-3,
        rtol: 1e-3,
      },
    );
    tf.dispose(Object.values(got));

    const bytes = await readFile(file);
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-length': bytes.length });
      res.end(bytes);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    try {
      const url = `http://127.0.0.1:${port}/timm/resnet18.tv_in1k/model.safetensors`;
      const progress: number[] = [];
      const cacheDir = path.join(dir, 'cache');
      const opts = { cacheDir, onProgress: (p: { loaded: number }) => progress.push(p.loaded) };
      await loadResNetWeightsFrom(fcn.backbone, url, opts);
      await loadResNetWeightsFrom(fcn.backbone, url, opts);
      expect(requests).toBe(1);
      expect(progress.at(-1)).toBe(bytes.length);
    } finally {
      server.close();
    }
  });

  it('checkpoints every epoch and resumes model, optimizer and history', async () => {
    const loader = {
      length: 1,
      *[Symbol.iterator]() {
        yield {
          images: tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 4),
          labels: tf.randomUniform([2, 32, 32], 0, 3, 'int32', 5),
        };
      },
    };
    const ckDir = path.join(dir, 'checkpoints');
    const saved: string[] = [];
    const opt = new SGD(Object.fromEntries(fcn.namedParameters()), { lr: 1e-3, momentum: 0.9 });
    await trainFcn(fcn, loader, {
      epochs: 2,
      optimizer: opt,
      onEpochEnd: checkpointEveryEpoch(ckDir, { onSaved: (f) => saved.push(f) }),
    });
    expect(saved.map((f) => path.basename(f))).toEqual([
      'checkpoint-000001.safetensors',
      'checkpoint-000002.safetensors',
    ]);
    const before = fcn.stateDict();
    const other = new FCN({ numClasses: 3 });
    const opt2 = new SGD(Object.fromEntries(other.namedParameters()), { lr: 1, momentum: 0.9 });
    const r = await resumeFcn(other, opt2, ckDir);
    expect(r?.startEpoch).toBe(3);
    expect(r?.history.records.map((x) => x.epoch)).toEqual([1, 2]);
    expect(opt2.lr).toBe(1e-3);
    const after = other.stateDict();
    for (const k of ['0.weight', '7.1.bn2.running_var', 'transpose_conv.weight'])
      expectClose(after[k]!, before[k]!, { what: k });
    tf.dispose([...Object.values(before), ...Object.values(after)]);
    expect(await resumeFcn(other, opt2, path.join(dir, 'none'))).toBeUndefined();
    opt.dispose();
    opt2.dispose();
    other.dispose();
  });
});
