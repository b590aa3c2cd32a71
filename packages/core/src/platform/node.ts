import { createRequire } from 'node:module';
import path from 'node:path';
import { BackendUnavailableError, importOptional, isMissingModule, type Platform } from '../backend.js';
import { loadCpu, loadWasm, loadWebgpuWith, namedExports } from './shared.js';

const require = createRequire(import.meta.url);

/** The directory holding the installed tfjs-backend-wasm's `.wasm` files. */
export function installedWasmDir(): string | undefined {
  try {
    const main = require.resolve('@tensorflow/tfjs-backend-wasm');
    // tfjs-backend-wasm in Node reads the paths with fs, so a plain directory path with a trailing separator.
    return path.dirname(main) + path.sep;
  } catch {
    return undefined;
  }
}

type DawnModule = { create(flags: string[]): unknown; globals: Record<string, unknown> };

async function loadNodeWebgpu(options: Parameters<Platform['loaders']['webgpu']>[0]) {
  let dawn: DawnModule;
  try {
    dawn = namedExports((await importOptional('webgpu')) as DawnModule);
  } catch (err) {
    if (isMissingModule(err, 'webgpu')) {
      throw new BackendUnavailableError(
        'webgpu',
        "WebGPU in Node needs the 'webgpu' package (Dawn): npm install webgpu @tensorflow/tfjs-backend-webgpu@^4.22.0",
      );
    }
    throw new BackendUnavailableError(
      'webgpu',
      `the 'webgpu' package (Dawn) failed to load: ${(err as Error).message}`,
    );
  }
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return loadWebgpuWith(g.navigator?.gpu as never, options, 'Dawn created no navigator.gpu');
}

/** Node: Dawn for WebGPU, tfjs-node(-gpu), WASM files from the installed package, CPU. */
export const nodePlatform: Platform = {
  name: 'node',
  loaders: {
    webgpu: loadNodeWebgpu,
    tensorflow: async () => {
      const tried: string[] = [];
      for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
        try {
          const mod = (await importOptional(pkg)) as { version?: Record<string, string> };
          return { package: pkg, tfjs: namedExports(mod).version?.['tfjs-core'] ?? 'unknown' };
        } catch (err) {
          if (!isMissingModule(err, pkg)) {
            throw new BackendUnavailableError(
              'tensorflow',
              `'${pkg}' is installed but failed to load: ${(err as Error).message}`,
            );
          }
          tried.push(pkg);
        }
      }
      throw new BackendUnavailableError(
        'tensorflow',
        `neither ${tried.join(' nor ')} is installed. Install one (it downloads libtensorflow at install time; the GPU build needs CUDA 11.2 and cuDNN 8.1): npm install @tensorflow/tfjs-node`,
      );
    },
    wasm: async (options) => {
      const dir = options.wasmPaths ?? installedWasmDir();
      const details = await loadWasm(options, dir);
      return { ...details, wasmPaths: typeof dir === 'string' ? dir : 'custom' };
    },
    cpu: loadCpu,
  },
};
