import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { disposeCheckpoint, parseCheckpoint, serializeCheckpoint } from './checkpoint-format.js';
import { History } from './history.js';

/** Reads a safetensors file by the format's definition (independent of parseCheckpoint). */
function readSafetensors(bytes: Uint8Array) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const data = bytes.subarray(8 + n);
  return { n, header, data };
}

describe('checkpoint format (safetensors)', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('writes a valid safetensors file: padded header, contiguous little-endian data, string metadata', async () => {
    const w = tf.tensor2d([
      [1.5, -2],
      [3, 4.25],
    ]);
    const steps = tf.tensor1d([7, -1], 'int32');
    const mask = tf.tensor1d([1, 0, 1], 'bool');
    const bytes = await expectNoLeaks(() =>
      serializeCheckpoint({ epoch: 2, model: { 'features.0.weight': w, steps, mask } }),
    );
    const { n, header, data } = readSafetensors(bytes);
    expect(n % 8).toBe(0);
    expect(header['model.features.0.weight']).toEqual({ dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
    expect(header['model.steps']).toEqual({ dtype: 'I32', shape: [2], data_offsets: [16, 24] });
    expect(header['model.mask']).toEqual({ dtype: 'BOOL', shape: [3], data_offsets: [24, 27] });
    expect(data.byteLength).toBe(27);
    const meta = header.__metadata__ as unknown as Record<string, unknown>;
    expect(Object.values(meta).every((v) => typeof v === 'string')).toBe(true);
    expect(meta).toMatchObject({ format: 'cv-checkpoint', version: '1', epoch: '2' });
    const dv = new DataView(data.buffer, data.byteOffset);
    expect([dv.getFloat32(0, true), dv.getFloat32(4, true), dv.getFloat32(12, true)]).toEqual([
      1.5, -2, 4.25,
    ]);
    expect(dv.getInt32(20, true)).toBe(-1);
    expect(Array.from(data.subarray(24))).toEqual([1, 0, 1]);
    tf.dispose([w, steps, mask]);
  });

  it('round-trips model, optimizer state (order kept), history, RNG state and extra data', async () => {
    const model = { b: tf.tensor1d([0.1]), a: tf.tensor2d([[1, 2, 3]]), '0': tf.scalar(5) };
    const optimizer = {
      iter: 12,
      'b/momentum': tf.tensor1d([0.5]),
      'a/momentum': tf.tensor2d([[1, 1, 1]]),
      '0/momentum': tf.scalar(-1),
    };
    const history = History.fromJSON([
      { epoch: 1, loss: 0.5 },
      { epoch: 2, loss: 0.25, acc: 0.9 },
    ]);
    const bytes = await serializeCheckpoint({
      epoch: 2,
      model,
      optimizer,
      history,
      rngState: { s: 123456789 },
      extra: { lr: 0.03 },
    });
    const ck = await expectNoLeaks(() => parseCheckpoint(bytes));
    expect(ck.epoch).toBe(2);
    expect(Object.keys(ck.model).sort()).toEqual(['0', 'a', 'b']);
    expect(Array.from(ck.model.a!.dataSync())).toEqual([1, 2, 3]);
    expect(ck.model.a!.shape).toEqual([1, 3]);
    expect(ck.model['0']!.shape).toEqual([]);
    expect(ck.model.b!.dtype).toBe('float32');
    // tfjs optimizers match slots to variables by position: the saved order comes back (integer-like names too).
    const slots = Object.entries(ck.optimizer)
      .filter(([, v]) => v instanceof tf.Tensor)
      .map(([k]) => k);
    expect(slots).toEqual(['b/momentum', 'a/momentum', '0/momentum']);
    expect(ck.optimizer.iter).toBe(12);
    expect(ck.history!.records).toEqual(history.records);
    expect(ck.rngState).toEqual({ s: 123456789 });
    expect(ck.extra).toEqual({ lr: 0.03 });
    await expectNoLeaks(() => disposeCheckpoint(ck), { keep: -6 });
    tf.dispose([
      ...Object.values(model),
      ...(Object.values(optimizer) as unknown[]).filter((v): v is tf.Tensor => v instanceof tf.Tensor),
    ]);
  });

  it('rejects truncated, foreign and inconsistent files without leaking tensors', async () => {
    const w = tf.tensor1d([1, 2, 3, 4]);
    const bytes = await serializeCheckpoint({ epoch: 1, model: { w } });
    await expectNoLeaks(() => {
      expect(() => parseCheckpoint(bytes.subarray(0, bytes.length - 1))).toThrow(
        "parseCheckpoint: parseSafetensors: tensor 'model.w': data_offsets [0, 16] run past the data section (15 bytes)",
      );
      expect(() => parseCheckpoint(bytes.subarray(0, 20))).toThrow('runs past the end of the file');
      expect(() => parseCheckpoint(new Uint8Array(4))).toThrow('fewer than the 8-byte header length');
      const foreign = new TextEncoder().encode(
        JSON.stringify({ w: { dtype: 'F32', shape: [0], data_offsets: [0, 0] } }),
      );
      const file = new Uint8Array(8 + foreign.length);
      new DataView(file.buffer).setBigUint64(0, BigInt(foreign.length), true);
      file.set(foreign, 8);
      expect(() => parseCheckpoint(file)).toThrow(
        "parseCheckpoint: not a checkpoint (metadata.format is undefined, expected 'cv-checkpoint')",
      );
    });
    w.dispose();
  });

  it('validates what it is given', async () => {
    const w = tf.tensor1d([1]);
    await expect(serializeCheckpoint({ epoch: 1.5, model: { w } })).rejects.toThrow(
      'serializeCheckpoint: epoch must be an integer ≥ 0, got 1.5',
    );
    await expect(serializeCheckpoint({ epoch: 1, model: w as never })).rejects.toThrow(
      'model must be a record of named tensors (a stateDict), got a tensor',
    );
    await expect(
      serializeCheckpoint({ epoch: 1, model: { w }, optimizer: { m: 'x' } as never }),
    ).rejects.toThrow("serializeCheckpoint: optimizer['m'] must be a tensor or a number, got string");
    await expect(serializeCheckpoint({ epoch: 1, model: { w }, rngState: () => 1 })).rejects.toThrow(
      'rngState is not JSON-serialisable',
    );
    const c = tf.complex([1], [1]);
    await expect(serializeCheckpoint({ epoch: 1, model: { c } })).rejects.toThrow(
      "'model.c' has dtype complex64",
    );
    tf.dispose([w, c]);
  });
});
