/**
 * A WebGPU device on machines without a GPU, for tests: Dawn's OpenGL backend over Mesa's llvmpipe (EGL
 * surfaceless), in WebGPU compatibility mode. It runs tfjs-backend-webgpu's and @cv/core's WGSL programs
 * correctly but slowly: right for parity tests, meaningless for timings. Node only; exported from
 * `@cv/core/testing` for tests, never used by initBackend (a CPU renderer is no GPU backend).
 */

type Dawn = {
  create(flags: string[]): { requestAdapter(o?: object): Promise<unknown> };
  globals: Record<string, unknown>;
};

/**
 * Installs `navigator.gpu` backed by Dawn's OpenGL backend on llvmpipe when that gives an adapter, and
 * returns a description of it; otherwise leaves `navigator` as it was and returns the reason there is none.
 */
export async function installSoftwareWebgpu(): Promise<
  { ok: true; adapter: string } | { ok: false; reason: string }
> {
  let dawn: Dawn;
  try {
    // A variable specifier: bundlers must not resolve this optional package (as backend.ts' importOptional).
    const specifier = 'webgpu';
    const mod = (await import(/* @vite-ignore */ specifier)) as Partial<Dawn> & { default?: Dawn };
    dawn = typeof mod.create === 'function' ? (mod as Dawn) : (mod.default as Dawn);
  } catch (err) {
    return { ok: false, reason: `the 'webgpu' package did not load: ${(err as Error).message}` };
  }
  process.env.EGL_PLATFORM ??= 'surfaceless';
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(['backend=opengl']);
  const compat = {
    requestAdapter: (o: object = {}) => gpu.requestAdapter({ ...o, featureLevel: 'compatibility' }),
    getPreferredCanvasFormat: () => 'rgba8unorm',
  };
  const adapter = (await compat.requestAdapter()) as {
    info?: { device?: string; description?: string };
  } | null;
  if (!adapter)
    return { ok: false, reason: 'Dawn (OpenGL, EGL surfaceless) found no adapter (no Mesa llvmpipe?)' };
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: compat },
    configurable: true,
    writable: true,
  });
  return { ok: true, adapter: `${adapter.info?.device ?? ''} ${adapter.info?.description ?? ''}`.trim() };
}
