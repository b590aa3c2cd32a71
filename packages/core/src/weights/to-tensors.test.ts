// Fixtures: fixtures/weights/tiny_f32.safetensors and dtypes.safetensors, made by
// fixtures/weights/make_safetensors.py (PyTorch 1.13).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { parseSafetensors } from './parse-safetensors.js';
import { toTensors } from './to-tensors.js';

const fixture = (name: string) =>
  parseSafetensors(readFileSync(new URL(`../../fixtures/weights/${name}`, import.meta.url)));

beforeAll(async () => {
  await initBackend('cpu', { log: false });
});

describe('toTensors', () => {
  it('makes float32 tensors in PyTorch layout and an int32 num_batches_tracked, leaking nothing', async () => {
    const parsed = fixture('tiny_f32.safetensors');
    const tensors = await expectNoLeaks(() => toTensors(parsed), { what: 'toTensors' });
    expect(Object.keys(tensors)).toEqual([...parsed.tensors.keys()]);
    expect(tensors['conv.weight']!.shape).toEqual([4, 3, 3, 3]);
    expect(tensors['conv.weight']!.dtype).toBe('float32');
    expect(Array.from(tensors['fc.weight']!.dataSync())).toEqual(
      Array.from(parsed.tensors.get('fc.weight')!.data),
    );
    expect(tensors['bn.num_batches_tracked']!.dtype).toBe('int32');
    expect(tensors['bn.num_batches_tracked']!.shape).toEqual([]);
    expect(tensors['bn.num_batches_tracked']!.dataSync()[0]).toBe(1);
    tf.dispose(Object.values(tensors));
  });

  it('maps every dtype: floats → float32, integers → int32, BOOL → bool; accepts the tensors Map', () => {
    const parsed = fixture('dtypes.safetensors');
    const tensors = toTensors(parsed.tensors);
    const dtypes = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.dtype]));
    expect(dtypes).toEqual({
      f64: 'float32',
      i64: 'int32',
      i32: 'int32',
      i16: 'int32',
      i8: 'int32',
      u8: 'int32',
      bool: 'bool',
      scalar: 'float32',
      empty: 'float32',
      f16_special: 'float32',
      bf16_special: 'float32',
    });
    expect(Array.from(tensors.bool!.dataSync())).toEqual([1, 0, 0, 1]);
    expect(tensors.empty!.shape).toEqual([0, 3]);
    tf.dispose(Object.values(tensors));
  });

  it('rejects what is not a parse result, and disposes what it made when a tensor is inconsistent', async () => {
    expect(() => toTensors({} as never)).toThrow(
      /toTensors: expected parseSafetensors' result or its tensors Map, got object/,
    );
    const bad = new Map([
      ['a', { dtype: 'F32' as const, shape: [2], data: new Float32Array(2) }],
      ['b', { dtype: 'F32' as const, shape: [3], data: new Float32Array(2) }],
    ]);
    await expectNoLeaks(() => {
      expect(() => toTensors(bad)).toThrow(/toTensors: tensor 'b' has 2 values but shape \[3\] needs 3/);
    });
  });
});
