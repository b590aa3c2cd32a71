// Backend selection in Node where there is no GPU (the machines CI and most tests run on): 'webgpu' asked by
// name fails with the reason and leaves the active backend alone; the automatic choice skips it and says why.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, initBackend, setPlatform } from '../backend.js';
import { nodePlatform } from './node.js';

setPlatform(nodePlatform);

/** Runs `fn` with `navigator.gpu` replaced by `gpu` (Node 20 has no navigator of its own). */
async function withGpu<T>(gpu: unknown, fn: () => Promise<T>): Promise<T> {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    return await fn();
  } finally {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete (globalThis as { navigator?: unknown }).navigator;
  }
}

const noAdapter = { requestAdapter: async () => null };

describe('Node: WebGPU through Dawn, selection without a GPU', () => {
  afterEach(() => setPlatform(nodePlatform));

  it("initBackend('webgpu') on a machine with no adapter: a BackendUnavailableError, the backend unchanged", async () => {
    await initBackend('cpu', { log: false });
    const err = await withGpu(noAdapter, () =>
      initBackend('webgpu', { log: false }).catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).backend).toBe('webgpu');
    expect(String((err as Error).message)).toBe(
      "initBackend('webgpu'): navigator.gpu.requestAdapter() found no GPU adapter (no GPU, or no driver for it)",
    );
    expect(tf.getBackend()).toBe('cpu');
  });

  it('asks Dawn for the high-performance adapter unless told otherwise', async () => {
    const asked: unknown[] = [];
    const gpu = {
      requestAdapter: async (o: unknown) => {
        asked.push(o);
        return null;
      },
    };
    await withGpu(gpu, async () => {
      await initBackend('webgpu', { log: false }).catch(() => {});
      await initBackend('webgpu', { log: false, webgpuAdapter: { powerPreference: 'low-power' } }).catch(
        () => {},
      );
    });
    expect(asked).toEqual([{ powerPreference: 'high-performance' }, { powerPreference: 'low-power' }]);
  });

  it('a requestAdapter that throws (a broken Vulkan driver) is reported, not swallowed', async () => {
    const gpu = {
      requestAdapter: async () => {
        throw new Error('vkCreateInstance failed (fake)');
      },
    };
    const err = await withGpu(gpu, () => initBackend('webgpu', { log: false }).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(String((err as Error).message)).toBe(
      "initBackend('webgpu'): navigator.gpu.requestAdapter() failed: vkCreateInstance failed (fake)",
    );
  });

  it('the automatic choice skips webgpu (no adapter) and tensorflow (not installed), with the reasons', async () => {
    const info = await withGpu(noAdapter, () => initBackend(undefined, { log: false }));
    expect(info.name).toBe('wasm');
    expect(info.skipped.map((s) => s.name)).toEqual(['webgpu', 'tensorflow']);
    expect(info.skipped[0]!.reason).toMatch(/found no GPU adapter/);
    expect(info.skipped[1]!.reason).toMatch(
      /neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed.*npm install @tensorflow\/tfjs-node/,
    );
  });

  it("initBackend('tensorflow') names tfjs-node-gpu, then tfjs-node, and how to install them (no silent switch)", async () => {
    await initBackend('wasm', { log: false });
    const err = await initBackend('tensorflow', { log: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(String((err as Error).message)).toMatch(
      /^initBackend\('tensorflow'\): neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed\. .*CUDA 11\.2.*npm install @tensorflow\/tfjs-node$/,
    );
    expect(tf.getBackend()).toBe('wasm');
  });
});
