#!/usr/bin/env node
// Consumer test: proves that the @cv packages install and run the way a user installs and runs them.
//
//   node scripts/consumer-test.mjs        (or: pnpm test:consumer; build the packages first)
//   KEEP_TMP=1 node scripts/consumer-test.mjs   keeps the temp dirs and prints where they are
//
// 1. `pnpm pack`s every non-private package in packages/* (pnpm rewrites `workspace:*` to versions) and checks
//    each tarball: README.md, LICENSE, package.json fields (exports with `types` first, engines, repository,
//    files), every file that `exports`/`main`/`module`/`types` points at, no `workspace:` left in dependencies.
// 2. Creates an app outside the workspace (os.tmpdir()), `npm init -y`, `npm install`s the tarballs plus the
//    peers a user installs (tfjs-core, -backend-wasm, -backend-cpu; never tfjs-node: it downloads libtensorflow).
// 3. Runs a smoke script there with plain `node`, once as ESM (`smoke.mjs`, import) and once as CJS
//    (`smoke.cjs`, require): every package entry point loads; for 'wasm' and 'cpu', `initBackend` activates
//    the backend and a tiny conv net trains 5 SGD steps with `tf.variableGrads` (loss decreases, no tensor
//    leaks); `@cv/core/testing`'s `expectClose` works.
// Exit code 0 only when every check passes. Nothing here is specific to one package except the training
// smoke, which exercises @cv/core (every package builds on it).
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES_DIR = path.join(ROOT, 'packages');
// biome-ignore lint/suspicious/noUndeclaredEnvVars: a root script run directly, not a turbo task
const KEEP_TMP = process.env.KEEP_TMP === '1';
const IS_WINDOWS = process.platform === 'win32';

/** The peers a user installs next to @cv packages. tfjs-node(-gpu) are left out on purpose (DESIGN.md, trap 4). */
const PEERS = [
  '@tensorflow/tfjs-core@4.22.0',
  '@tensorflow/tfjs-backend-wasm@4.22.0',
  '@tensorflow/tfjs-backend-cpu@4.22.0',
];
/** Backends the training smoke runs on, in this order. */
const SMOKE_BACKENDS = ['wasm', 'cpu'];
const CORE = '@cv/core';

const started = Date.now();
const secs = (t0 = started) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const failures = [];
const summary = [];

function fail(message) {
  failures.push(message);
}

// ---------------------------------------------------------------------------------------------------------
// Child processes

/**
 * The environment for npm: the machine's own npm config (~/.npmrc, global npmrc, registry settings), without
 * the npm_config_* / npm_package_* variables that `pnpm run` or `npm run` export for the workspace script.
 */
function cleanNpmEnv() {
  const keep =
    /^npm_config_(registry|@.*:registry|cache|userconfig|globalconfig|proxy|https_proxy|http_proxy|noproxy|no_proxy|cafile|ca|strict_ssl|prefer_offline|offline|fetch_.*)$/i;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)/i.test(k) && !keep.test(k)) continue;
    if (/^PNPM_/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/** Runs a command; resolves with { code, stdout, stderr, timedOut }. Never rejects. */
function run(cmd, args, { cwd, env = process.env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child;
    try {
      // npm and pnpm are .cmd shims on Windows.
      child = spawn(cmd, args, { cwd, env, shell: IS_WINDOWS, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: -1, stdout, stderr: String(err), timedOut });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => (stderr += `\n${err.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr, timedOut });
    });
  });
}

function describeRun(r, what) {
  const why = r.timedOut ? 'timed out' : `exited with code ${r.code}`;
  const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-25).join('\n');
  return `${what} ${why}:\n${indent(tail)}`;
}

const indent = (text, pad = '    ') =>
  text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');

// ---------------------------------------------------------------------------------------------------------
// Tarballs

/** Reads a .tgz into Map<path inside the package (without the leading "package/"), Buffer>. */
function readTarball(file) {
  const buf = gunzipSync(readFileSync(file));
  const entries = new Map();
  let offset = 0;
  let longName;
  const str = (b) => {
    const end = b.indexOf(0);
    return b.toString('utf8', 0, end < 0 ? b.length : end);
  };
  while (offset + 512 <= buf.length) {
    const header = buf.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    let name = str(header.subarray(0, 100));
    const size = Number.parseInt(str(header.subarray(124, 136)).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    if (str(header.subarray(257, 263)).startsWith('ustar')) {
      const prefix = str(header.subarray(345, 500));
      if (prefix) name = `${prefix}/${name}`;
    }
    const data = buf.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      // PAX extended header: "<len> path=<value>\n" records.
      const m = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if (type === 'L') {
      longName = str(data);
      continue;
    }
    if (longName) {
      name = longName;
      longName = undefined;
    }
    if (type === '0' || type === '\0' || type === '7') {
      entries.set(name.replace(/^[^/]+\//, ''), Buffer.from(data));
    }
  }
  return entries;
}

const isJsTarget = (t) => typeof t === 'string' && /\.[cm]?js$/.test(t);

/** Follows Node's condition matching: the first key in object order that is one of `conditions`. */
function resolveExport(target, conditions) {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = resolveExport(t, conditions);
      if (r) return r;
    }
    return null;
  }
  if (target && typeof target === 'object') {
    for (const [key, value] of Object.entries(target)) {
      if (key === 'default' || conditions.includes(key)) {
        const r = resolveExport(value, conditions);
        if (r) return r;
      }
    }
  }
  return null;
}

/** The `exports` map as { subpath: target }, whether written as a string, conditions, or subpaths. */
function subpathMap(exportsField) {
  if (typeof exportsField === 'string' || Array.isArray(exportsField)) return { '.': exportsField };
  const keys = Object.keys(exportsField ?? {});
  if (keys.length > 0 && keys.every((k) => k.startsWith('.'))) return exportsField;
  return { '.': exportsField };
}

/** Walks one subpath's target: `types` must be the first condition wherever it appears, and present beside JS. */
function checkConditions(target, where, problems, files) {
  if (typeof target === 'string') {
    if (!target.includes('*') && !files.has(target.replace(/^\.\//, ''))) {
      problems.push(
        `exports${where} points at ${target}, which is not in the tarball (not built, or not in "files"?)`,
      );
    }
    return;
  }
  if (Array.isArray(target)) {
    for (const [i, t] of target.entries()) checkConditions(t, `${where}[${i}]`, problems, files);
    return;
  }
  if (!target || typeof target !== 'object') return;
  const keys = Object.keys(target);
  if (keys.includes('types') && keys[0] !== 'types') {
    problems.push(`exports${where}: "types" must be the first condition (order is: ${keys.join(', ')})`);
  }
  if (!keys.includes('types') && keys.some((k) => isJsTarget(target[k]))) {
    problems.push(
      `exports${where}: a JavaScript target without a "types" condition beside it (keys: ${keys.join(', ')})`,
    );
  }
  for (const k of keys) checkConditions(target[k], `${where}.${k}`, problems, files);
}

/** Checks one packed tarball; returns the list of problems (empty when fine). */
function checkTarball(files, pkg, packedNames) {
  const problems = [];
  const names = [...files.keys()];
  if (!names.includes('README.md')) problems.push('README.md is missing from the tarball');
  if (!names.some((n) => /^LICEN[CS]E(\.md|\.txt)?$/i.test(n)))
    problems.push('LICENSE is missing from the tarball');
  for (const field of [
    'name',
    'version',
    'description',
    'license',
    'exports',
    'engines',
    'repository',
    'files',
  ]) {
    const v = pkg[field];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) {
      problems.push(`package.json has no "${field}" field`);
    }
  }
  if (pkg.engines && !pkg.engines.node) problems.push('package.json "engines" has no "node" range');
  if (pkg.repository && typeof pkg.repository === 'object' && !pkg.repository.url) {
    problems.push('package.json "repository" has no "url"');
  }
  if (pkg.exports !== undefined) {
    for (const [sub, target] of Object.entries(subpathMap(pkg.exports))) {
      checkConditions(target, `["${sub}"]`, problems, files);
    }
  }
  for (const field of ['main', 'module', 'types', 'typings']) {
    const t = pkg[field];
    if (typeof t === 'string' && !files.has(t.replace(/^\.\//, ''))) {
      problems.push(`package.json "${field}" points at ${t}, which is not in the tarball`);
    }
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
      if (String(range).startsWith('workspace:')) {
        problems.push(
          `${field}.${dep} is still "${range}" (pack with pnpm, which rewrites workspace: ranges)`,
        );
      }
      if (field !== 'peerDependencies' && dep.startsWith('@cv/') && !packedNames.includes(dep)) {
        problems.push(`${field}.${dep} is not a published package of this workspace (private or missing)`);
      }
    }
  }
  return problems;
}

/** Entry points a user can load: `name` or `name/sub` for every non-wildcard JS subpath of `exports`. */
function entryPoints(pkg) {
  const esm = [];
  const cjs = [];
  const map = pkg.exports !== undefined ? subpathMap(pkg.exports) : { '.': pkg.main ?? 'index.js' };
  for (const [sub, target] of Object.entries(map)) {
    if (sub.includes('*')) continue;
    const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, '')}`;
    if (isJsTarget(resolveExport(target, ['node', 'import']))) esm.push(spec);
    if (isJsTarget(resolveExport(target, ['node', 'require']))) cjs.push(spec);
  }
  return { esm, cjs };
}

// ---------------------------------------------------------------------------------------------------------
// Smoke scripts

/** Shared body of smoke.mjs and smoke.cjs; the header defines tf, initBackend, expectClose, load, resolvePath. */
function smokeBody({ appDir, entries, backends }) {
  return `
const APP_DIR = ${JSON.stringify(appDir)};
const ENTRY_POINTS = ${JSON.stringify(entries)};
const BACKENDS = ${JSON.stringify(backends)};
let failed = 0;
function report(ok, name, detail) {
  if (!ok) failed++;
  console.log(\`\${ok ? 'PASS' : 'FAIL'} \${name}: \${detail}\`);
}
const errText = (err) => (err && err.stack ? err.stack.split('\\n').slice(0, 4).join('\\n      ') : String(err));

/** x [2,8,8,3] -> conv 3x3/2 pad 1 -> relu -> maxPool 2x2 -> conv 3x3 'same' -> spatial mean [2,2]; MSE. */
async function trainSmoke(backend) {
  const info = await initBackend(backend, { log: false });
  if (tf.getBackend() !== backend) throw new Error(\`tf.getBackend() is '\${tf.getBackend()}' after initBackend('\${backend}')\`);
  if (info.name !== backend) throw new Error(\`initBackend('\${backend}') returned name '\${info.name}'\`);
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1);
  const target = tf.randomNormal([2, 2], 0, 1, 'float32', 2);
  const w1 = tf.tidy(() => tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.3, 'float32', 3)));
  const w2 = tf.tidy(() => tf.variable(tf.randomNormal([3, 3, 4, 2], 0, 0.3, 'float32', 4)));
  const vars = [w1, w2];
  const lossFn = () => {
    let h = tf.conv2d(x, w1, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    h = tf.relu(h);
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.conv2d(h, w2, 1, 'same');
    const pred = tf.mean(h, [1, 2]);
    return tf.mean(tf.squaredDifference(pred, target));
  };
  try {
    const before = tf.memory().numTensors;
    const lr = 0.02;
    const losses = [];
    for (let step = 0; step < 5; step++) {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      losses.push(value.dataSync()[0]);
      // Chained methods (v.sub, g.mul) are registered by @cv/core along with the gradients.
      tf.tidy(() => {
        for (const v of vars) v.assign(v.sub(grads[v.name].mul(lr)));
      });
      value.dispose();
      tf.dispose(grads);
    }
    const last = tf.tidy(lossFn);
    losses.push(last.dataSync()[0]);
    last.dispose();
    const after = tf.memory().numTensors;
    const first = losses[0];
    const final = losses[losses.length - 1];
    if (!losses.every(Number.isFinite)) throw new Error(\`non-finite loss: \${losses.join(', ')}\`);
    if (!(final < first)) throw new Error(\`loss did not decrease: \${losses.map((l) => l.toFixed(5)).join(' -> ')}\`);
    if (after !== before) throw new Error(\`tensor leak: \${before} live tensors before the 5 steps, \${after} after\`);
    return \`tf.getBackend()='\${tf.getBackend()}', loss \${first.toFixed(5)} -> \${final.toFixed(5)} in 5 SGD steps, \${before} tensors before and after\`;
  } finally {
    tf.dispose([x, target, ...vars]);
  }
}

async function main() {
  console.log(\`node \${process.version}, tfjs-core \${tf.version_core}\`);
  // 1. Every package resolves from this app's own node_modules (not from the workspace).
  const appReal = realpathSync(APP_DIR);
  for (const spec of ['@tensorflow/tfjs-core', ...new Set(ENTRY_POINTS.map((e) => e.split('/').slice(0, 2).join('/')))]) {
    try {
      const p = realpathSync(resolvePath(spec));
      const inside = p.startsWith(appReal + sep);
      report(inside, \`resolve \${spec}\`, inside ? p.slice(appReal.length + 1) : \`resolves outside the app: \${p}\`);
    } catch (err) {
      report(false, \`resolve \${spec}\`, errText(err));
    }
  }
  // 2. Every entry point of every package loads.
  for (const spec of ENTRY_POINTS) {
    try {
      const mod = await load(spec);
      const names = Object.keys(mod).filter((k) => k !== 'default' && k !== '__esModule');
      report(names.length > 0, \`load \${spec}\`, names.length > 0 ? \`\${names.length} exports\` : 'no named exports');
    } catch (err) {
      report(false, \`load \${spec}\`, errText(err));
    }
  }
  // 3. Training on each backend (a failure on one backend does not stop the others).
  for (const backend of BACKENDS) {
    try {
      report(true, \`train \${backend}\`, await trainSmoke(backend));
    } catch (err) {
      report(false, \`train \${backend}\`, errText(err));
    }
  }
  // 4. @cv/core/testing: expectClose accepts close values and rejects far ones with a message naming them.
  try {
    await initBackend('cpu', { log: false });
    const a = tf.tensor([1, 2, 3]);
    expectClose(a, [1, 2, 3 + 1e-7]);
    a.dispose();
    let message = '';
    try {
      expectClose([1, 2, 3], [1, 2, 4], { what: 'smoke' });
    } catch (err) {
      message = err.message;
    }
    if (!/expectClose\\(smoke\\)/.test(message)) throw new Error(\`expectClose did not reject [1,2,3] vs [1,2,4] (message: '\${message}')\`);
    report(true, 'testing expectClose', 'accepts 3 vs 3+1e-7, rejects 3 vs 4');
  } catch (err) {
    report(false, 'testing expectClose', errText(err));
  }
  console.log(failed === 0 ? 'SMOKE OK' : \`SMOKE FAILED: \${failed} check(s)\`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((err) => {
  console.log(\`FAIL smoke: \${errText(err)}\`);
  process.exitCode = 1;
});
`;
}

function writeSmokes(appDir, entries) {
  const esmHeader = `// Written by scripts/consumer-test.mjs: what a user's ESM program does.
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '${CORE}';
import { expectClose } from '${CORE}/testing';
const resolvePath = (spec) => fileURLToPath(import.meta.resolve(spec));
const load = (spec) => import(spec);
`;
  const cjsHeader = `// Written by scripts/consumer-test.mjs: what a user's CommonJS program does.
'use strict';
const { realpathSync } = require('node:fs');
const { sep } = require('node:path');
const tf = require('@tensorflow/tfjs-core');
const { initBackend } = require('${CORE}');
const { expectClose } = require('${CORE}/testing');
const resolvePath = (spec) => require.resolve(spec);
const load = async (spec) => require(spec);
`;
  writeFileSync(
    path.join(appDir, 'smoke.mjs'),
    esmHeader + smokeBody({ appDir, entries: entries.esm, backends: SMOKE_BACKENDS }),
  );
  writeFileSync(
    path.join(appDir, 'smoke.cjs'),
    cjsHeader + smokeBody({ appDir, entries: entries.cjs, backends: SMOKE_BACKENDS }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Main

function workspacePackages() {
  if (!existsSync(PACKAGES_DIR)) return [];
  return readdirSync(PACKAGES_DIR)
    .filter((name) => existsSync(path.join(PACKAGES_DIR, name, 'package.json')))
    .map((name) => {
      const dir = path.join(PACKAGES_DIR, name);
      return { dir, pkg: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) };
    })
    .filter(({ pkg }) => !pkg.private)
    .sort((a, b) => a.pkg.name.localeCompare(b.pkg.name));
}

async function main() {
  const packages = workspacePackages();
  if (packages.length === 0) {
    fail(`no non-private packages found in ${PACKAGES_DIR}`);
    return;
  }
  if (!packages.some((p) => p.pkg.name === CORE)) {
    fail(`${CORE} is not among the packages in packages/*; the training smoke needs it`);
    return;
  }

  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'cv-consumer-'));
  const rootReal = realpathSync(ROOT);
  const tmpReal = realpathSync(tmpRoot);
  const cleanup = () => {
    if (KEEP_TMP) console.log(`KEEP_TMP=1: temp dirs kept in ${tmpRoot}`);
    else rmSync(tmpRoot, { recursive: true, force: true });
  };
  const onSignal = (sig) => {
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (tmpReal === rootReal || tmpReal.startsWith(rootReal + path.sep)) {
      fail(
        `the temp dir ${tmpReal} is inside the workspace ${rootReal}: set TMPDIR to a directory outside it`,
      );
      return;
    }

    // 1. Pack and inspect.
    let t0 = Date.now();
    const tarballs = [];
    const packedNames = packages.map((p) => p.pkg.name);
    const entries = { esm: [], cjs: [] };
    for (const { dir, pkg } of packages) {
      const dest = path.join(tmpRoot, 'tarballs', pkg.name.replace(/^@/, '').replace(/\//g, '-'));
      mkdirSync(dest, { recursive: true });
      const r = await run('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, timeoutMs: 120_000 });
      const tgz = readdirSync(dest).find((f) => f.endsWith('.tgz'));
      if (r.code !== 0 || !tgz) {
        fail(`${pkg.name}: ${describeRun(r, 'pnpm pack')}`);
        summary.push(`FAIL package ${pkg.name}@${pkg.version}: pnpm pack failed`);
        continue;
      }
      const file = path.join(dest, tgz);
      let problems;
      let packed = pkg;
      let fileCount = 0;
      try {
        const files = readTarball(file);
        fileCount = files.size;
        const pj = files.get('package.json');
        if (!pj) problems = ['package.json is missing from the tarball'];
        else {
          packed = JSON.parse(pj.toString('utf8'));
          problems = checkTarball(files, packed, packedNames);
        }
      } catch (err) {
        problems = [`could not read the tarball: ${err.message}`];
      }
      tarballs.push(file);
      const e = entryPoints(packed);
      entries.esm.push(...e.esm);
      entries.cjs.push(...e.cjs);
      if (problems.length > 0) {
        for (const p of problems) fail(`${pkg.name}: ${p}`);
        summary.push(
          `FAIL package ${pkg.name}@${pkg.version}: ${problems.length} problem(s) in ${tgz}:\n${indent(problems.join('\n'))}`,
        );
      } else {
        const kb = (readFileSync(file).length / 1024).toFixed(1);
        summary.push(
          `PASS package ${pkg.name}@${pkg.version}: ${tgz} (${kb} kB, ${fileCount} files), entry points ${e.esm.join(', ')}`,
        );
      }
    }
    console.log(`packed ${tarballs.length} package(s) in ${secs(t0)}`);
    if (tarballs.length === 0) return;

    // 2. A fresh app outside the workspace, installed with npm like a user would.
    t0 = Date.now();
    const appDir = path.join(tmpRoot, 'app');
    mkdirSync(appDir);
    const npmEnv = cleanNpmEnv();
    const init = await run('npm', ['init', '-y'], { cwd: appDir, env: npmEnv, timeoutMs: 60_000 });
    if (init.code !== 0) {
      fail(describeRun(init, 'npm init -y'));
      return;
    }
    // Optional peers (webgpu, tfjs-node...) are not installed by npm; --strict-peer-deps=false keeps a peer range
    // mismatch among them a warning, not an ERESOLVE failure.
    const installArgs = [
      'install',
      '--no-audit',
      '--no-fund',
      '--strict-peer-deps=false',
      '--loglevel=warn',
      ...tarballs,
      ...PEERS,
    ];
    const install = await run('npm', installArgs, { cwd: appDir, env: npmEnv, timeoutMs: 300_000 });
    if (install.code !== 0) {
      fail(
        describeRun(
          install,
          `npm ${installArgs.map((a) => (a.startsWith(tmpRoot) ? path.basename(a) : a)).join(' ')}`,
        ),
      );
      summary.push('FAIL npm install');
      return;
    }
    summary.push(`PASS npm install of ${tarballs.length} tarball(s) + ${PEERS.join(' ')} in ${secs(t0)}`);
    console.log(`npm install done in ${secs(t0)}`);

    // 3. Smoke runs, ESM and CJS in parallel, plain node.
    t0 = Date.now();
    writeSmokes(appDir, entries);
    const runs = await Promise.all(
      ['smoke.mjs', 'smoke.cjs'].map(async (script) => {
        const t = Date.now();
        const r = await run(process.execPath, [script], { cwd: appDir, env: npmEnv, timeoutMs: 300_000 });
        return { script, r, time: secs(t) };
      }),
    );
    for (const { script, r, time } of runs) {
      const kind = script.endsWith('.mjs') ? 'ESM' : 'CJS';
      const lines = r.stdout.trim().split('\n').filter(Boolean);
      const checks = lines.filter((l) => /^(PASS|FAIL) /.test(l));
      const bad = checks.filter((l) => l.startsWith('FAIL'));
      console.log(`\n--- node ${script} (${kind}, ${time}) ---\n${indent(r.stdout.trim())}`);
      if (r.stderr.trim())
        console.log(`  stderr:\n${indent(r.stderr.trim().split('\n').slice(-20).join('\n'))}`);
      const ok = r.code === 0 && bad.length === 0 && checks.length > 0;
      const perBackend = SMOKE_BACKENDS.map((b) => {
        const line = checks.find((l) => l.slice(5).startsWith(`train ${b}:`));
        if (!line) return `${b} not run`;
        if (line.startsWith('PASS')) return `${b} PASS`;
        const known = /Kernel 'Conv2DBackpropFilter' not registered/.test(line)
          ? ' (Conv2DBackpropFilter not registered for wasm)'
          : '';
        return `${b} FAIL${known}`;
      });
      const why = r.timedOut ? ', timed out' : r.code !== 0 ? `, exit code ${r.code}` : '';
      summary.push(
        `${ok ? 'PASS' : 'FAIL'} smoke ${script} (${kind}, ${time}${why}): ${checks.length - bad.length}/${checks.length} checks; train ${perBackend.join(', ')}`,
      );
      if (!ok) {
        for (const l of bad) fail(`${script}: ${l.split('\n')[0]}`);
        if (bad.length === 0) fail(`${script}: ${describeRun(r, `node ${script}`)}`);
      }
    }
  } finally {
    cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

try {
  await main();
} catch (err) {
  fail(`consumer-test crashed: ${err?.stack ?? err}`);
}
console.log('\n=== consumer test summary ===');
for (const line of summary) console.log(line);
if (failures.length > 0) {
  console.log(`\nFAILED (${failures.length}) in ${secs()}:`);
  for (const f of failures) console.log(`  - ${f.split('\n').join('\n    ')}`);
  process.exitCode = 1;
} else {
  console.log(`\nOK: every package packed, installed and ran as ESM and CJS (${secs()})`);
}
