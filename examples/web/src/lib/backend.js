// Backend start-up for every page: @cv/core's initBackend() on WASM/SIMD (threaded when the page is
// cross-origin isolated), WebGPU when the browser has an adapter, or the backend named by `?backend=`.
//
// In a bundle @cv/core cannot import optional backends itself (it imports them with a run-time specifier
// that bundlers leave alone), so the app imports the backend packages it uses: WASM statically (it is the
// default), CPU and WebGPU on demand (separate chunks, loaded only when used).
import { initBackend } from '@cv/core';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

// Vite emits the three binaries as hashed assets; tfjs picks one by the browser's SIMD/threads support.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

const NAMES = ['webgpu', 'wasm', 'cpu'];

/** Has this browser a WebGPU adapter? (Headless Chromium with --disable-gpu has none.) */
async function hasWebgpuAdapter() {
  const gpu = globalThis.navigator?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter({ powerPreference: 'high-performance' })) != null;
  } catch {
    return false;
  }
}

/**
 * Starts the backend named by `requested` ('webgpu' | 'wasm' | 'cpu'), or the best available one when it is
 * empty. Returns @cv/core's BackendInfo (name, reason, skipped backends, details such as simd/multithread).
 */
export async function startBackend(requested) {
  if (requested && !NAMES.includes(requested)) {
    throw new Error(`?backend=${requested}: expected one of ${NAMES.join(', ')}`);
  }
  if (requested === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  if (requested === 'webgpu' || (!requested && (await hasWebgpuAdapter()))) {
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  return initBackend(requested || undefined, { log: false });
}

/** One line for the page header: "wasm (SIMD, 2 threads, cross-origin isolated) · best available after …". */
export function describeBackend(info) {
  const d = info.details;
  const parts = [];
  if (info.name === 'wasm') {
    parts.push(d.simd ? 'SIMD' : 'no SIMD');
    parts.push(d.multithread ? 'multithreaded' : 'single-threaded');
    parts.push(d.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated');
  }
  if (info.name === 'webgpu' && d.adapter) parts.push(String(d.adapter));
  const skipped = info.skipped.map((s) => `${s.name}: ${s.reason}`);
  return {
    title: `${info.name}${parts.length ? ` (${parts.join(', ')})` : ''}`,
    reason: info.reason,
    skipped,
  };
}
