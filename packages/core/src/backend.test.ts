import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  BACKEND_NAMES,
  type BackendName,
  BackendUnavailableError,
  getBackendInfo,
  importPeer,
  initBackend,
  type Platform,
  setPlatform,
} from './backend.js';
import { browserPlatform } from './platform/browser.js';
import { nodePlatform } from './platform/node.js';

setPlatform(nodePlatform);

describe('initBackend by name', () => {
  it.each(['cpu', 'wasm'] as const)('makes %s active and says it was requested', async (name) => {
    const info = await initBackend(name, { log: false });
    expect(info.name).toBe(name);
    expect(info.tfBackend).toBe(name);
    expect(tf.getBackend()).toBe(name);
    expect(info.reason).toBe('requested');
    expect(info.platform).toBe('node');
    expect(getBackendInfo()).toBe(info);
  });

  it('reports SIMD for wasm, the kernels @cv/core added or replaced, and where the .wasm files came from', async () => {
    const info = await initBackend('wasm', { log: false });
    expect(info.details.simd).toBe(true);
    expect(info.details.trainingKernels).toBe(
      'Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput, UnsortedSegmentSum',
    );
    expect(info.details.replacedKernels).toBe('Conv2DBackpropInput');
    expect(info.details.fixedKernels).toBe('MaxPoolGrad, OneHot');
    expect(String(info.details.wasmPaths)).toMatch(/tfjs-backend-wasm[\\/]dist[\\/]$/);
  });

  it('rejects an unknown name, naming the valid ones', async () => {
    await expect(initBackend('gpu' as BackendName)).rejects.toThrow(
      /unknown backend 'gpu'; expected one of webgpu, tensorflow, wasm, cpu/,
    );
  });

  it('says how to install tfjs-node instead of switching silently', async () => {
    const before = tf.getBackend();
    const err = await initBackend('tensorflow', { log: false }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.backend).toBe('tensorflow');
    expect(err.message).toMatch(/npm install @tensorflow\/tfjs-node/);
    expect(tf.getBackend()).toBe(before);
  });

  it('explains a WebGPU failure in Node (no Dawn adapter on this machine, or a GPU)', async () => {
    const result = await initBackend('webgpu', { log: false }).then(
      (info) => info,
      (e: unknown) => e,
    );
    if (result instanceof Error) {
      expect(result).toBeInstanceOf(BackendUnavailableError);
      expect(result.message).toMatch(/^initBackend\('webgpu'\): .*(adapter|webgpu)/);
    } else {
      // A machine with a GPU: then it must really be WebGPU.
      expect((result as { tfBackend: string }).tfBackend).toBe('webgpu');
    }
  });
});

describe('automatic choice', () => {
  afterAll(() => setPlatform(nodePlatform));

  it('picks the best available and lists what it skipped, with reasons', async () => {
    const info = await initBackend(undefined, { log: false });
    expect(BACKEND_NAMES.indexOf(info.name)).toBe(info.skipped.length);
    expect(info.skipped.map((s) => s.name)).toEqual(BACKEND_NAMES.slice(0, info.skipped.length));
    for (const s of info.skipped) expect(s.reason.length).toBeGreaterThan(10);
    expect(tf.getBackend()).toBe(info.tfBackend);
  });

  it('falls through in order and logs each skip', async () => {
    const fake: Platform = {
      name: 'node',
      loaders: {
        webgpu: async () => {
          throw new BackendUnavailableError('webgpu', 'no adapter (fake)');
        },
        tensorflow: async () => {
          throw Object.assign(new Error("Cannot find module '@tensorflow/tfjs-node'"), {
            code: 'MODULE_NOT_FOUND',
          });
        },
        wasm: nodePlatform.loaders.wasm,
        cpu: nodePlatform.loaders.cpu,
      },
    };
    setPlatform(fake);
    const log = vi.fn();
    const info = await initBackend(undefined, { log });
    expect(info.name).toBe('wasm');
    expect(info.skipped).toEqual([
      { name: 'webgpu', reason: 'no adapter (fake)' },
      { name: 'tensorflow', reason: "Cannot find module '@tensorflow/tfjs-node'" },
    ]);
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      "@cv/core: using backend 'wasm' (best available after skipping webgpu, tensorflow)",
      "@cv/core:   skipped 'webgpu': no adapter (fake)",
      "@cv/core:   skipped 'tensorflow': Cannot find module '@tensorflow/tfjs-node'",
    ]);
  });

  it('fails with every reason when nothing starts', async () => {
    const fail = (name: BackendName) => async () => {
      throw new BackendUnavailableError(name, `${name} broken (fake)`);
    };
    setPlatform({
      name: 'node',
      loaders: {
        webgpu: fail('webgpu'),
        tensorflow: fail('tensorflow'),
        wasm: fail('wasm'),
        cpu: fail('cpu'),
      },
    });
    await expect(initBackend(undefined, { log: false })).rejects.toThrow(
      /no backend could be started:\n {2}webgpu: webgpu broken \(fake\)\n.*\n.*\n {2}cpu: cpu broken \(fake\)/,
    );
  });
});

describe('browser platform', () => {
  /** Runs fn with globalThis.navigator replaced (Node's Dawn test above may have set one). */
  async function withNavigator(value: unknown, fn: () => Promise<void>) {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value, configurable: true, writable: true });
    try {
      await fn();
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  }

  it('WebGPU without navigator.gpu says which browsers have it', async () => {
    await withNavigator({}, async () => {
      await expect(browserPlatform.loaders.webgpu({})).rejects.toThrow(
        /has no navigator.gpu \(WebGPU needs Chrome/,
      );
    });
  });

  it('WebGPU with no adapter says so', async () => {
    await withNavigator({ gpu: { requestAdapter: async () => null } }, async () => {
      await expect(browserPlatform.loaders.webgpu({})).rejects.toThrow(/found no GPU adapter/);
    });
  });

  it('tensorflow is Node-only', async () => {
    await expect(browserPlatform.loaders.tensorflow({})).rejects.toThrow(/only in Node/);
  });
});

describe('importPeer', () => {
  it('turns a missing package into an install hint', async () => {
    const err = (await importPeer('wasm', '@tensorflow/tfjs-backend-nope').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.message).toBe(
      "initBackend('wasm'): the package '@tensorflow/tfjs-backend-nope' is not installed. Install it with: npm install @tensorflow/tfjs-backend-nope@^4.22.0",
    );
  });

  it('keeps other load errors as they are, with the backend named', async () => {
    const err = await importPeer('cpu', 'x', async () => {
      throw new Error('boom');
    }).catch((e) => e);
    expect(err.message).toBe("initBackend('cpu'): boom");
  });
});
