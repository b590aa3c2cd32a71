// Test helpers for the WASM training kernels (not exported by the package): run one computation on the CPU
// backend and on the WASM backend with identical inputs.

import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { expectNoLeaks } from '../testing/index.js';

/** A convolution or pooling padding, as tfjs-core's ops take it. */
export type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];

/** Backend-independent host values. */
export interface HostTensor {
  shape: number[];
  values: Float32Array | Int32Array;
}

/**
 * `n` pseudo-random values (mulberry32 with `seed`) in [−2, 2), multiples of 1/64: every product of two is a
 * multiple of 2^-12 below 4, so the sums these tests make (< 2^11 terms) are exact in float32 whatever the
 * summation order, and the CPU and WASM backends must agree exactly.
 */
export function dyadic(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = Math.floor(u * 256) / 64 - 2;
  }
  return out;
}

export function host(shape: number[], seed: number): HostTensor {
  return {
    shape,
    values: dyadic(
      shape.reduce((a, d) => a * d, 1),
      seed,
    ),
  };
}

export function toTensor(h: HostTensor): tf.Tensor {
  return tf.tensor(h.values, h.shape, h.values instanceof Int32Array ? 'int32' : 'float32');
}

/** Runs `fn` on `backend` and returns its result as host values (the tensors it made are disposed). */
export async function runOn(backend: 'cpu' | 'wasm', fn: () => tf.Tensor): Promise<HostTensor> {
  await initBackend(backend, { log: false });
  const y = tf.tidy(fn);
  const out = { shape: y.shape, values: y.dataSync() as Float32Array | Int32Array };
  y.dispose();
  return out;
}

/** Runs `fn` on 'cpu' and on 'wasm'. */
export async function onBoth(fn: () => tf.Tensor): Promise<{ cpu: HostTensor; wasm: HostTensor }> {
  const cpu = await runOn('cpu', fn);
  const wasm = await runOn('wasm', fn);
  return { cpu, wasm };
}

/** `expectClose` accepts number arrays; the shape is checked separately. */
export function flat(h: HostTensor): number[] {
  return Array.from(h.values);
}

/** Kernel attributes, leaving out the undefined ones (tfjs's attribute type has no undefined). */
export function attrs(a: Record<string, unknown>): tf.NamedAttrMap {
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as tf.NamedAttrMap;
}

/**
 * Runs `fn` (a kernel) under `expectNoLeaks` and checks that the backend then holds exactly one more buffer,
 * its result: `numDataIds` counts the WASM backend's own buffers, which the kernel's intermediates would leak
 * into. Returns the result (the caller disposes it).
 */
export async function expectFreesIntermediates(fn: () => tf.Tensor, what?: string): Promise<tf.Tensor> {
  const buffers = tf.backend().numDataIds();
  const y = await expectNoLeaks(fn, { what });
  expect(tf.backend().numDataIds(), what).toBe(buffers + 1);
  return y;
}
