import * as tf from '@tensorflow/tfjs-core';

/**
 * The backends @cv knows how to start, best first.
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu`; browsers through `navigator.gpu`, Node through the `webgpu`
 *   npm package (Dawn: Vulkan on Linux, Metal on macOS, D3D12 on Windows).
 * - `tensorflow`: `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` (Node only; libtensorflow).
 * - `wasm`: `@tensorflow/tfjs-backend-wasm` with SIMD, plus the training kernels @cv/core adds.
 * - `cpu`: `@tensorflow/tfjs-backend-cpu`, plain JavaScript (slow; a reference).
 */
export const BACKEND_NAMES = ['webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface InitBackendOptions {
  /**
   * Where the WASM backend finds its `.wasm` files: a URL prefix ending in `/`, or a map from file name to
   * URL (see `setWasmPaths` of `@tensorflow/tfjs-backend-wasm`). Browsers only need it when the files are not
   * served next to the bundle. In Node the files of the installed package are used.
   */
  wasmPaths?: string | Record<string, string>;
  /** WASM threads (browsers, cross-origin isolated pages only). Node's WASM backend is single-threaded. */
  wasmThreads?: number;
  /**
   * Replace tfjs-backend-wasm's own `Conv2DBackpropInput` (5–10x slower than its forward convolution) with
   * @cv/core's, which computes the input gradient as one forward convolution (same results, tested against
   * the CPU backend). Default true; `details.replacedKernels` says what was replaced.
   */
  wasmFastKernels?: boolean;
  /** Options passed to `navigator.gpu.requestAdapter`. */
  webgpuAdapter?: { powerPreference?: 'low-power' | 'high-performance' };
  /**
   * Where messages about the choice go (what was skipped and why). Default `console.info`; `false` silences
   * them (the same text is still returned in {@link BackendInfo}).
   */
  log?: ((message: string) => void) | false;
}

export interface SkippedBackend {
  name: BackendName;
  reason: string;
}

export interface BackendInfo {
  /** The @cv name of the active backend. */
  name: BackendName;
  /** What `tf.getBackend()` now returns. */
  tfBackend: string;
  /** Why this backend: requested, or the best one available. */
  reason: string;
  /** Backends tried before this one and why each was not used (automatic choice only). */
  skipped: SkippedBackend[];
  /** Details of the device: adapter, SIMD, threads, package versions. */
  details: Record<string, string | number | boolean>;
  platform: 'node' | 'browser';
}

/** Thrown when a requested backend is not installed or has no device. The message says how to fix it. */
export class BackendUnavailableError extends Error {
  readonly backend: BackendName;
  readonly reason: string;
  constructor(backend: BackendName, reason: string) {
    super(`initBackend('${backend}'): ${reason}`);
    this.name = 'BackendUnavailableError';
    this.backend = backend;
    this.reason = reason;
  }
}

/** What a platform (Node or browser) does to make one backend ready. Throws BackendUnavailableError. */
export type BackendLoader = (
  options: InitBackendOptions,
) => Promise<Record<string, string | number | boolean>>;

export interface Platform {
  name: 'node' | 'browser';
  loaders: Record<BackendName, BackendLoader>;
}

/** tfjs's own name for each backend. */
export const TF_BACKEND_NAME: Record<BackendName, string> = {
  webgpu: 'webgpu',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

let platform: Platform | undefined;
let active: BackendInfo | undefined;

/** Called once by the entry point (`index.ts` for browsers, `index.node.ts` for Node). */
export function setPlatform(p: Platform): void {
  platform = p;
}

/** The backend chosen by the last successful {@link initBackend}, or undefined. */
export function getBackendInfo(): BackendInfo | undefined {
  return active && active.tfBackend === tf.getBackend() ? active : undefined;
}

function isBackendName(name: unknown): name is BackendName {
  return typeof name === 'string' && (BACKEND_NAMES as readonly string[]).includes(name);
}

/** Turns anything thrown while loading into a BackendUnavailableError with the backend named. */
export function unavailable(name: BackendName, err: unknown): BackendUnavailableError {
  if (err instanceof BackendUnavailableError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new BackendUnavailableError(name, msg);
}

/** Is `err` the error of importing a package that is not installed (Node, or a bundler/Vite resolver)? */
export function isMissingModule(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  const code = e?.code;
  const msg = e?.message ?? '';
  return (
    (code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /Cannot find (module|package)|Could not resolve|Failed to resolve/.test(msg)) &&
    msg.includes(pkg)
  );
}

/**
 * Imports an optional package at run time. The specifier is a variable on purpose: bundlers must not try to
 * resolve optional peers the user did not install (a browser app imports the backend it uses itself).
 */
export function importOptional(pkg: string): Promise<unknown> {
  const specifier = pkg;
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
}

/** Imports an optional peer package, or throws an error that says how to install (and, in bundles, import) it. */
export async function importPeer<T = unknown>(
  name: BackendName,
  pkg: string,
  load: () => Promise<T> = () => importOptional(pkg) as Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (
      isMissingModule(err, pkg) ||
      /Failed to fetch dynamically imported module|bare specifier|resolve module specifier/i.test(String(err))
    ) {
      throw new BackendUnavailableError(
        name,
        `the package '${pkg}' is not installed. Install it with: npm install ${pkg}@^4.22.0` +
          (typeof window !== 'undefined' ? ` (in a bundled app also add: import '${pkg}';)` : ''),
      );
    }
    throw unavailable(name, err);
  }
}

async function activate(
  name: BackendName,
  options: InitBackendOptions,
): Promise<Record<string, string | number | boolean>> {
  if (!platform) {
    throw new Error(
      'initBackend: @cv/core was loaded without a platform entry; import "@cv/core", not a file inside it',
    );
  }
  const details = await platform.loaders[name](options);
  const tfName = TF_BACKEND_NAME[name];
  if (!tf.findBackendFactory(tfName)) {
    throw new BackendUnavailableError(
      name,
      `the package loaded but registered no '${tfName}' backend with tfjs-core`,
    );
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfName);
  } catch (err) {
    throw unavailable(name, err);
  }
  // setBackend can return false while getBackend() still names the failed backend (DESIGN.md, trap 5).
  if (!ok || tf.getBackend() !== tfName) {
    throw new BackendUnavailableError(
      name,
      `tfjs-core could not initialise the '${tfName}' backend (setBackend returned false)`,
    );
  }
  await tf.ready();
  if (name === 'wasm') {
    // What the WASM module actually runs with (tfjs turns threads off in Node).
    details.simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
    details.multithread = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
  }
  return details;
}

/**
 * Makes one backend active and says which one and why.
 *
 * With a name, that backend or an error ({@link BackendUnavailableError}) that says how to install it or why
 * it failed, never a silent switch to another. Without a name, the best available of
 * `webgpu` → `tensorflow` → `wasm` → `cpu`, with the reason each better one was skipped in `skipped` (and
 * logged through `options.log`).
 *
 * @example
 * const info = await initBackend();        // best available
 * const wasm = await initBackend('wasm');  // exactly WASM/SIMD, or an error
 */
export async function initBackend(
  name?: BackendName,
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const log = options.log === false ? () => {} : (options.log ?? ((m: string) => console.info(m)));
  const platformName = platform?.name ?? 'browser';
  if (name !== undefined) {
    if (!isBackendName(name)) {
      throw new TypeError(
        `initBackend: unknown backend '${String(name)}'; expected one of ${BACKEND_NAMES.join(', ')}`,
      );
    }
    const details = await activate(name, options);
    active = {
      name,
      tfBackend: tf.getBackend(),
      reason: 'requested',
      skipped: [],
      details,
      platform: platformName,
    };
    return active;
  }
  const skipped: SkippedBackend[] = [];
  for (const candidate of BACKEND_NAMES) {
    try {
      const details = await activate(candidate, options);
      const reason =
        skipped.length === 0
          ? 'best available'
          : `best available after skipping ${skipped.map((s) => s.name).join(', ')}`;
      active = {
        name: candidate,
        tfBackend: tf.getBackend(),
        reason,
        skipped,
        details,
        platform: platformName,
      };
      log(`@cv/core: using backend '${candidate}' (${reason})`);
      for (const s of skipped) log(`@cv/core:   skipped '${s.name}': ${s.reason}`);
      return active;
    } catch (err) {
      skipped.push({ name: candidate, reason: unavailable(candidate, err).reason });
    }
  }
  const lines = skipped.map((s) => `  ${s.name}: ${s.reason}`).join('\n');
  throw new Error(`initBackend: no backend could be started:\n${lines}`);
}
