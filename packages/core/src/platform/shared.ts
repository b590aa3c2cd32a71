import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendName,
  BackendUnavailableError,
  type InitBackendOptions,
  importPeer,
} from '../backend.js';
import {
  registerWasmTrainingKernels,
  useFastWasmConv2DBackpropInput,
  useWasmKernelFixes,
} from '../wasm/index.js';
import { registerWebgpuKernels } from '../webgpu/index.js';

type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm');

/** Imports a CJS-or-ESM package and returns its named exports whichever way the runtime exposes them. */
export function namedExports<T extends object>(mod: T): T {
  const d = (mod as { default?: unknown }).default;
  return (d && typeof d === 'object' ? { ...(d as object), ...mod } : mod) as T;
}

/** Is the tfjs backend already registered (an app that imported the backend package itself)? */
const registered = (tfName: string) => tf.findBackendFactory(tfName) != null;

export async function loadCpu(): Promise<Record<string, string | number | boolean>> {
  if (!registered('cpu')) await importPeer('cpu', '@tensorflow/tfjs-backend-cpu');
  return { 'tfjs-core': tf.version_core };
}

/**
 * Loads the WASM backend and registers @cv/core's training kernels for it (Conv2DBackpropFilter and the
 * others tfjs-backend-wasm 4.22 lacks). `wasmPaths` is where the `.wasm` files are; undefined keeps tfjs's
 * default (next to the script).
 */
export async function loadWasm(
  options: InitBackendOptions,
  wasmPaths: string | Record<string, string> | undefined,
): Promise<Record<string, string | number | boolean>> {
  let wasm: WasmModule | undefined;
  try {
    wasm = namedExports((await importPeer('wasm', '@tensorflow/tfjs-backend-wasm')) as WasmModule);
  } catch (err) {
    // A bundled app that imported the package itself: the backend is registered, but @cv/core cannot reach
    // the module to set paths or threads; say so rather than ignore the options.
    if (!registered('wasm')) throw err;
    if (options.wasmPaths !== undefined || options.wasmThreads !== undefined) {
      throw new BackendUnavailableError(
        'wasm',
        "wasmPaths/wasmThreads cannot be applied from a bundle; call setWasmPaths()/setThreadsCount() from '@tensorflow/tfjs-backend-wasm' before initBackend",
      );
    }
  }
  // The paths can only be set before the backend first initialises; after that tfjs throws. Keep the first.
  if (wasm && wasmPaths !== undefined && !tf.engine().registry.wasm) {
    wasm.setWasmPaths(wasmPaths as string);
  }
  if (wasm && options.wasmThreads !== undefined) wasm.setThreadsCount(options.wasmThreads);
  const added = registerWasmTrainingKernels();
  const replaced =
    options.wasmFastKernels !== false && useFastWasmConv2DBackpropInput() ? ['Conv2DBackpropInput'] : [];
  // Corrections of kernels tfjs-backend-wasm 4.22 gets wrong (MaxPoolGrad, OneHot): always, whatever wasmFastKernels.
  const fixed = useWasmKernelFixes();
  return {
    'tfjs-backend-wasm': wasm?.version_wasm ?? 'imported by the app',
    trainingKernels: added.join(', '),
    replacedKernels: replaced.join(', '),
    fixedKernels: fixed.join(', '),
  };
}

/** Requests a WebGPU adapter from `gpu` and loads tfjs's WebGPU backend; errors say why not. */
export async function loadWebgpuWith(
  gpu: { requestAdapter(o?: object): Promise<unknown> } | undefined,
  options: InitBackendOptions,
  noGpuReason: string,
): Promise<Record<string, string | number | boolean>> {
  const name: BackendName = 'webgpu';
  if (!gpu) throw new BackendUnavailableError(name, noGpuReason);
  let adapter: {
    info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  } | null;
  try {
    adapter = (await gpu.requestAdapter(
      options.webgpuAdapter ?? { powerPreference: 'high-performance' },
    )) as typeof adapter;
  } catch (err) {
    // e.g. a Vulkan driver that fails to start: say so, as an error of this backend.
    throw new BackendUnavailableError(
      name,
      `navigator.gpu.requestAdapter() failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!adapter) {
    throw new BackendUnavailableError(
      name,
      'navigator.gpu.requestAdapter() found no GPU adapter (no GPU, or no driver for it)',
    );
  }
  if (!registered('webgpu')) await importPeer(name, '@tensorflow/tfjs-backend-webgpu');
  // @cv/core's WGSL kernels in place of tfjs-backend-webgpu's slow ones (restoreWebgpuKernels() undoes it).
  const replaced = registerWebgpuKernels();
  const info = adapter.info ?? {};
  return {
    adapter:
      [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown',
    replacedKernels: replaced.join(', '),
  };
}
