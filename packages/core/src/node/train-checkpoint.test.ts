import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { disposeCheckpoint } from '../train/checkpoint-format.js';
import { History } from '../train/history.js';
import { checkpointFileName, listCheckpoints, loadCheckpoint, saveCheckpoint } from './train-checkpoint.js';

describe('saveCheckpoint / loadCheckpoint', () => {
  let root = '';
  let n = 0;
  const newDir = () => path.join(root, `run-${n++}`);
  beforeAll(async () => {
    await initBackend('cpu', { log: false });
    root = await mkdtemp(path.join(tmpdir(), 'cv-ckpt-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('saves per-epoch files, loads the newest, and loads a given epoch', async () => {
    const dir = newDir();
    const w = tf.variable(tf.tensor1d([1, 2]));
    const history = new History();
    for (const epoch of [1, 2, 3]) {
      tf.tidy(() => w.assign(tf.mul(w, 2)));
      history.record(epoch, { loss: 1 / epoch });
      const file = await expectNoLeaks(() =>
        saveCheckpoint(dir, { epoch, model: { w }, history, rngState: [epoch], extra: { lr: 0.1 } }),
      );
      expect(file).toBe(path.join(dir, checkpointFileName(epoch)));
    }
    expect((await readdir(dir)).sort()).toEqual([
      'checkpoint-000001.safetensors',
      'checkpoint-000002.safetensors',
      'checkpoint-000003.safetensors',
    ]);
    expect((await listCheckpoints(dir)).map((c) => c.epoch)).toEqual([1, 2, 3]);

    const ck = (await expectNoLeaks(() => loadCheckpoint(dir)))!;
    expect(ck.epoch).toBe(3);
    expect(Array.from(ck.model.w!.dataSync())).toEqual([8, 16]);
    expect(ck.history!.records).toEqual(history.records);
    expect(ck.rngState).toEqual([3]);
    expect(ck.extra).toEqual({ lr: 0.1 });
    expect(ck.skipped).toEqual([]);
    disposeCheckpoint(ck);

    const first = (await loadCheckpoint(dir, { epoch: 1 }))!;
    expect(Array.from(first.model.w!.dataSync())).toEqual([2, 4]);
    expect(first.history!.length).toBe(1);
    disposeCheckpoint(first);
    await expect(loadCheckpoint(dir, { epoch: 7 })).rejects.toThrow(
      `loadCheckpoint: no checkpoint for epoch 7 in ${dir}; it has epochs 1, 2, 3`,
    );
    w.dispose();
  });

  it('returns undefined for a directory without checkpoints', async () => {
    expect(await loadCheckpoint(newDir())).toBeUndefined();
    expect(await listCheckpoints(newDir())).toEqual([]);
  });

  it('saves a tfjs optimizer’s state and keeps only the newest checkpoints on request', async () => {
    const dir = newDir();
    const w = tf.variable(tf.tensor1d([1, -1]));
    const opt = tf.train.momentum(0.1, 0.9);
    for (const epoch of [1, 2, 3, 4]) {
      tf.dispose(opt.minimize(() => tf.sum(tf.square(w)), false, [w]) ?? []);
      await expectNoLeaks(() =>
        saveCheckpoint(dir, { epoch, model: { w }, optimizer: opt }, { keepLast: 2 }),
      );
    }
    expect((await listCheckpoints(dir)).map((c) => c.epoch)).toEqual([3, 4]);
    const ck = (await loadCheckpoint(dir))!;
    expect(ck.optimizer.iter).toBe(4);
    const slots = await opt.getWeights();
    expect(Object.keys(ck.optimizer)).toEqual(['iter', slots[1]!.name]);
    expect(Array.from((ck.optimizer[slots[1]!.name] as tf.Tensor).dataSync())).toEqual(
      Array.from(slots[1]!.tensor.dataSync()),
    );
    tf.dispose(slots[0]!.tensor); // getWeights' fresh `iter` scalar
    disposeCheckpoint(ck);
    opt.dispose();
    w.dispose();
  });

  it('ignores temporary files of unfinished saves and skips a damaged newest file with a warning', async () => {
    const dir = newDir();
    const w = tf.tensor1d([5]);
    await saveCheckpoint(dir, { epoch: 1, model: { w } });
    const good = await readFile(path.join(dir, checkpointFileName(1)));
    // A save killed before its rename leaves only a temporary file: it is not a checkpoint.
    await writeFile(path.join(dir, `.${checkpointFileName(2)}.tmp-12345-abcdef012345`), good.subarray(0, 10));
    // A newest file damaged afterwards (a disk error, a copy cut short) is skipped.
    await writeFile(path.join(dir, checkpointFileName(3)), good.subarray(0, good.length - 2));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const ck = (await loadCheckpoint(dir))!;
      expect(ck.epoch).toBe(1);
      expect(ck.skipped.map((s) => path.basename(s.path))).toEqual([checkpointFileName(3)]);
      expect(ck.skipped[0]!.reason).toContain('run past the data section');
      expect(warn).toHaveBeenCalledTimes(1);
      disposeCheckpoint(ck);
    } finally {
      warn.mockRestore();
    }
    await expect(loadCheckpoint(dir, { epoch: 3 })).rejects.toThrow('parseCheckpoint: parseSafetensors:');
    w.dispose();
  });

  it('refuses a file whose content disagrees with its name, and bad options', async () => {
    const dir = newDir();
    const w = tf.tensor1d([5]);
    await saveCheckpoint(dir, { epoch: 1, model: { w } });
    await writeFile(
      path.join(dir, checkpointFileName(9)),
      await readFile(path.join(dir, checkpointFileName(1))),
    );
    await expect(loadCheckpoint(dir, { epoch: 9 })).rejects.toThrow('holds epoch 1, not 9 as its name says');
    await expect(saveCheckpoint(dir, { epoch: 2, model: { w } }, { keepLast: 0 })).rejects.toThrow(
      'saveCheckpoint: options.keepLast must be an integer ≥ 1, got 0',
    );
    await expect(saveCheckpoint('', { epoch: 2, model: { w } })).rejects.toThrow(
      'saveCheckpoint: dir must be a non-empty path',
    );
    w.dispose();
  });
});
