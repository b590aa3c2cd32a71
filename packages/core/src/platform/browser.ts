import { BackendUnavailableError, type Platform } from '../backend.js';
import { loadCpu, loadWasm, loadWebgpuWith } from './shared.js';

/** Browsers (and other bundler targets): navigator.gpu for WebGPU, WASM files from a configurable URL. */
export const browserPlatform: Platform = {
  name: 'browser',
  loaders: {
    webgpu: (options) =>
      loadWebgpuWith(
        (globalThis as unknown as { navigator?: { gpu?: never } }).navigator?.gpu,
        options,
        'this browser has no navigator.gpu (WebGPU needs Chrome/Edge 113+, Safari 26+, or Firefox 141+ on Windows, in a secure context)',
      ),
    tensorflow: async () => {
      throw new BackendUnavailableError(
        'tensorflow',
        'the tfjs-node backend runs only in Node.js; in a browser use webgpu or wasm',
      );
    },
    wasm: async (options) => {
      const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
      const details = await loadWasm(options, options.wasmPaths);
      return { ...details, crossOriginIsolated: isolated };
    },
    cpu: loadCpu,
  },
};
