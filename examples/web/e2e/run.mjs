#!/usr/bin/env node
// End-to-end test of the web examples in headless Chromium (Debian's `chromium`, driven by playwright-core):
// `vite build`, `vite preview` on 127.0.0.1 at a free port, then every page of src/pages.js (and the index)
// is opened; the test waits for its done signal (window.__status), asserts on the numbers it publishes
// (window.__result) and on its canvases' pixels (e2e/expectations.mjs), fails on any console error, page
// error or failed request, and saves a full-page screenshot to out/<page>.png.
//
//   node e2e/run.mjs [--no-build | --dev] [--backend wasm|cpu|webgpu] [--page id]... [--timeout 90]
//
// Chromium is required: without it the test fails (never skips) and says how to install it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { build, createServer as createViteServer, preview } from 'vite';
import { PAGES } from '../src/pages.js';
import { EXPECTATIONS } from './expectations.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    dev: { type: 'boolean', default: false },
    backend: { type: 'string' },
    page: { type: 'string', multiple: true },
    timeout: { type: 'string', default: '90' },
  },
});
const timeoutMs = Number(args.timeout) * 1000;
const outDir = path.join(root, 'out');
mkdirSync(outDir, { recursive: true });
const started = performance.now();
const secs = () => ((performance.now() - started) / 1000).toFixed(1);

// 1. Chromium: fail, never skip, when it is missing.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(
    `e2e: Chromium not found at ${executablePath}. Install Debian's chromium: apt-get install -y chromium\n` +
      '(or set CHROMIUM_PATH to a Chromium/Chrome binary). The end-to-end test cannot run without it.',
  );
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// The runs: one or more per page (e2e/expectations.mjs), each a query and a check; some need files first.
const selected = args.page ?? PAGES.map((p) => p.id);
const runs = selected.flatMap((id) => {
  const e = EXPECTATIONS[id];
  if (!e) return [{ id, label: id, missing: true }];
  if (typeof e === 'function') return [{ id, label: id, check: e }];
  return e.map((r) => ({ id, label: r.label ?? id, ...r }));
});

// 2. Build and serve (or, with --dev, the dev server, which pre-bundles dependencies differently).
let server;
const port = await freePort();
const listen = { host: '127.0.0.1', port, strictPort: true, open: false };
if (args.dev) {
  server = await createViteServer({ root, logLevel: 'warn', server: listen });
  await server.listen();
} else {
  if (!args['no-build']) {
    console.log('e2e: vite build');
    await build({ root, logLevel: 'warn' });
  }
  if (!existsSync(path.join(root, 'dist', 'index.html'))) {
    console.error('e2e: dist/index.html missing: run without --no-build');
    process.exit(1);
  }
}
// Files some runs need (e.g. the SSD weights and detections made in Node), written under out/ and, for the
// preview server, copied into dist/ (both serve them at the same path).
for (const r of runs.filter((r) => r.prepare)) {
  const t0 = performance.now();
  const dir = path.join(outDir, r.prepare.dir);
  const res = spawnSync(
    process.execPath,
    [path.join(root, r.prepare.script), dir, ...(r.prepare.args ?? [])],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (res.status !== 0) {
    r.prepareError = `${r.prepare.script} failed (exit ${res.status}): ${(res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  } else {
    if (!args.dev) cpSync(dir, path.join(root, 'dist', 'out', r.prepare.dir), { recursive: true });
    console.log(`e2e: ${r.prepare.script} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}
if (!args.dev) server = await preview({ root, logLevel: 'warn', preview: listen });
const base = `http://127.0.0.1:${port}/`;
console.log(`e2e: serving ${args.dev ? 'the dev server' : 'dist (vite preview)'} at ${base} (${secs()} s)`);

// 3. Chromium, headless, with a fresh profile.
const profile = mkdtempSync(path.join(os.tmpdir(), 'cv-e2e-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1200, height: 900 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

/** Opens a URL, collecting console errors, page errors and failed requests. */
async function open(url) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  let onPageError;
  const pageError = new Promise((resolve) => {
    onPageError = resolve;
  });
  page.on('pageerror', (e) => {
    problems.push(`page error: ${e.message || e.name || String(e)}`);
    onPageError(e);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
  return { page, problems, pageError };
}

/** Assertion helpers bound to one page (see e2e/expectations.mjs). */
function checker(page) {
  const failures = [];
  const canvasCall = (name, fn, extra) =>
    page.evaluate(
      ([n, f, e]) => {
        const c = document.querySelector(`canvas[data-name="${n}"]`);
        if (!c) return { missing: true };
        const g = c.getContext('2d');
        if (f === 'size') return [c.width, c.height];
        if (f === 'pixel') return Array.from(g.getImageData(e[0], e[1], 1, 1).data);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        const sum = [0, 0, 0];
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4) {
          sum[0] += d[i];
          sum[1] += d[i + 1];
          sum[2] += d[i + 2];
          seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        }
        const n4 = d.length / 4;
        return { mean: sum.map((s) => s / n4), distinct: seen.size };
      },
      [name, fn, extra],
    );
  const need = async (name, fn, extra) => {
    const v = await canvasCall(name, fn, extra);
    if (v?.missing) {
      failures.push(`no canvas named '${name}'`);
      return fn === 'stats' ? { mean: [0, 0, 0], distinct: 0 } : [];
    }
    return v;
  };
  const closeEnough = (a, e, tol) =>
    Array.isArray(e)
      ? Array.isArray(a) && a.length === e.length && e.every((v, i) => closeEnough(a[i], v, tol))
      : typeof a === 'number' && Math.abs(a - e) <= tol;
  return {
    failures,
    equal(actual, expected, what) {
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        failures.push(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    },
    close(actual, expected, tol, what) {
      if (!closeEnough(actual, expected, tol))
        failures.push(
          `${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)} ± ${tol}`,
        );
    },
    ok(condition, what) {
      if (!condition) failures.push(what);
    },
    pixel: (name, x, y) => need(name, 'pixel', [x, y]),
    size: (name) => need(name, 'size'),
    stats: (name) => need(name, 'stats'),
  };
}

// 4. The pages.
const query = args.backend ? `&backend=${args.backend}` : '';
const results = [];

async function testIndex() {
  const { page, problems } = await open(base);
  const t = checker(page);
  const links = await page.$$eval('ul.pages a', (as) => as.map((a) => a.getAttribute('href')));
  t.equal(
    links,
    PAGES.map((p) => `?page=${p.id}`),
    'the index links every page',
  );
  await page.screenshot({ path: path.join(outDir, 'index.png'), fullPage: true });
  await page.close();
  return { id: 'index', failures: [...problems, ...t.failures], note: `${links.length} pages listed` };
}

async function testPage(run) {
  const { id, label } = run;
  if (!PAGES.some((p) => p.id === id)) return { id: label, failures: [`no page '${id}' in src/pages.js`] };
  if (run.missing) return { id: label, failures: [`no expectations for '${id}' in e2e/expectations.mjs`] };
  if (run.prepareError) return { id: label, failures: [run.prepareError] };
  const extra = run.query ? `&${run.query}` : '';
  const { page, problems, pageError } = await open(`${base}?page=${id}${extra}${query}`);
  const failures = [];
  let result;
  try {
    // Done, failed, or an uncaught error (e.g. in a worker): whichever comes first.
    const finished = page.waitForFunction(
      () => window.__status === 'done' || window.__status === 'error',
      null,
      { timeout: timeoutMs, polling: 200 },
    );
    await Promise.race([finished, pageError.then(() => page.waitForTimeout(500))]);
    finished.catch(() => {});
    const status = await page.evaluate(() => window.__status);
    if (status === 'running') failures.push('an uncaught error stopped the page');
    else if (status === 'error')
      failures.push(`the page failed: ${await page.evaluate(() => window.__error)}`);
    else result = await page.evaluate(() => window.__result);
  } catch (err) {
    failures.push(`no done signal within ${timeoutMs / 1000} s (${err.message.split('\n')[0]})`);
  }
  const t = checker(page);
  if (result) {
    // Every page: the backend @cv/core chose, its own checks, no leaked tensors, then the page's numbers.
    const want = args.backend ?? 'wasm';
    if (!args.backend && result.backend === 'webgpu') t.ok(true, 'webgpu');
    else t.equal(result.backend, want, 'active backend');
    if (result.backend === 'wasm') {
      t.ok(result.details.simd === true, 'WASM has SIMD');
      t.ok(result.details.crossOriginIsolated === true, 'the page is cross-origin isolated');
      t.ok(result.details.multithread === true, 'WASM runs multithreaded (cross-origin isolated)');
    }
    for (const c of result.checks) if (!c.ok) t.ok(false, `page check failed: ${c.what}`);
    t.ok(result.checks.length > 0, 'the page ran its own checks');
    t.equal(result.leakedTensors, 0, 'tensors left behind');
    // What prepare wrote, for the check to compare with (e.g. Node's detections).
    const prepared = run.prepare
      ? Object.fromEntries(
          (run.prepare.read ?? []).map((f) => [
            f,
            JSON.parse(readFileSync(path.join(outDir, run.prepare.dir, f), 'utf8')),
          ]),
        )
      : {};
    await run.check(result, t, prepared);
  }
  await page.screenshot({ path: path.join(outDir, `${label}.png`), fullPage: true });
  await page.close();
  const note = result
    ? `${result.backend}${result.backend === 'wasm' ? (result.details.multithread ? ', threads' : ', 1 thread') : ''}, ${(result.ms / 1000).toFixed(2)} s${result.note ? `; ${result.note}` : ''}`
    : '';
  return { id: label, failures: [...problems, ...failures, ...t.failures], note };
}

let exitCode = 0;
try {
  if (!args.page) results.push(await testIndex());
  for (const run of runs) results.push(await testPage(run));
} catch (err) {
  results.push({ id: 'harness', failures: [String(err?.stack ?? err)] });
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}

let passed = 0;
for (const r of results) {
  if (r.failures.length === 0) {
    passed++;
    console.log(`  ✓ ${r.id}${r.note ? ` (${r.note})` : ''}`);
  } else {
    console.log(`  ✗ ${r.id}${r.note ? ` (${r.note})` : ''}`);
    for (const f of r.failures) console.log(`      - ${f}`);
  }
}
const failed = results.length - passed;
if (failed) exitCode = 1;
console.log(`screenshots: ${path.relative(process.cwd(), outDir) || '.'}/*.png; total ${secs()} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode);
