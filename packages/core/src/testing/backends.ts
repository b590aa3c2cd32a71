import { type BackendName, initBackend } from '@cv/core';

export interface TestBackendsOptions {
  /** Backends to try, in order. Default: cpu, wasm, webgpu. `CV_TEST_BACKENDS=cpu,wasm` overrides. */
  candidates?: BackendName[];
  /** Backends that must be available: a missing one is an error, not a skip. Default: cpu, wasm. */
  required?: BackendName[];
}

const announced = new Set<string>();

/**
 * Which backends a test suite runs on here: every candidate that starts. A required backend that does not
 * start throws; an optional one (webgpu) that does not start is announced on stderr once, never skipped
 * silently. Use it to run one suite on every backend:
 *
 * @example
 * for (const backend of await testBackends()) {
 *   describe(backend, () => {
 *     beforeAll(() => initBackend(backend, { log: false }));
 *     it('...', () => { ... });
 *   });
 * }
 */
export async function testBackends(options: TestBackendsOptions = {}): Promise<BackendName[]> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.CV_TEST_BACKENDS;
  const candidates =
    options.candidates ??
    (env
      ? (env.split(',').map((s) => s.trim()) as BackendName[])
      : (['cpu', 'wasm', 'webgpu'] as BackendName[]));
  const required =
    options.required ?? (['cpu', 'wasm'] as BackendName[]).filter((b) => candidates.includes(b));
  const available: BackendName[] = [];
  for (const name of candidates) {
    try {
      await initBackend(name, { log: false });
      available.push(name);
    } catch (err) {
      if (required.includes(name)) throw err;
      const msg = `@cv/core/testing: not testing on '${name}': ${(err as Error).message}`;
      if (!announced.has(msg)) {
        announced.add(msg);
        console.warn(msg);
      }
    }
  }
  return available;
}
