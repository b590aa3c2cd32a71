// A browser app bundled with only @cv/core, tfjs-core and one backend (cpu) installed: it must resolve the
// browser entry (no Node built-ins, no Dawn), register the gradients, and train. The bundle is plain ESM;
// it runs here in a child Node process as a stand-in for the page (issue 11 runs pages in Chromium).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkgRoot = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

beforeAll(() => {
  if (!existsSync(path.join(pkgRoot, 'dist', 'index.js')))
    throw new Error('run `pnpm build` first: this test bundles dist/');
  dir = mkdtempSync(path.join(tmpdir(), 'cv-bundle-'));
  mkdirSync(path.join(dir, 'node_modules', '@cv'), { recursive: true });
  mkdirSync(path.join(dir, 'node_modules', '@tensorflow'), { recursive: true });
  symlinkSync(pkgRoot, path.join(dir, 'node_modules', '@cv', 'core'));
  for (const p of ['tfjs-core', 'tfjs-backend-cpu']) {
    symlinkSync(
      path.join(pkgRoot, 'node_modules', '@tensorflow', p),
      path.join(dir, 'node_modules', '@tensorflow', p),
    );
  }
});
afterAll(() => process.env.KEEP_TMP || rmSync(dir, { recursive: true, force: true }));

describe('browser bundle', () => {
  it('bundles the browser entry with one backend installed and trains with variableGrads', async () => {
    const app = `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import { initBackend } from '@cv/core';
      const info = await initBackend('cpu', { log: false });
      const w = tf.variable(tf.randomNormal([3, 3, 1, 2], 0, 0.3, 'float32', 1));
      const x = tf.randomNormal([2, 6, 6, 1], 0, 1, 'float32', 2);
      const loss = () => tf.conv2d(x, w, 1, 'same').square().mean();
      const losses = [];
      for (let i = 0; i < 3; i++) {
        tf.tidy(() => { const { value, grads } = tf.variableGrads(loss); losses.push(value.dataSync()[0]); w.assign(w.sub(grads[w.name].mul(0.5))); });
      }
      console.log(JSON.stringify({ platform: info.platform, backend: tf.getBackend(), losses }));
    `;
    writeFileSync(path.join(dir, 'app.mjs'), app);
    const result = await esbuild.build({
      entryPoints: [path.join(dir, 'app.mjs')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
      absWorkingDir: dir,
    });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from ['"]node:|require\(['"]node:/);
    expect(code).not.toMatch(/dawn\.node|createRequire/);
    writeFileSync(path.join(dir, 'bundle.mjs'), code);
    // Make it look like a page: no `process`, a `window` with a `document`, so tfjs-core picks its browser
    // platform (its Node platform needs Node's 'util', which a browser bundle does not have).
    const page = path.join(dir, 'page.mjs');
    writeFileSync(
      page,
      [
        "Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true });",
        'globalThis.window = globalThis;',
        'globalThis.document = {};',
        "await import('./bundle.mjs');",
      ].join('\n'),
    );
    const printed = execFileSync(process.execPath, [page], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { platform, backend, losses } = JSON.parse(printed.trim().split('\n').pop()!);
    expect(platform).toBe('browser');
    expect(backend).toBe('cpu');
    expect(losses[2]).toBeLessThan(losses[0]);
  });
});
