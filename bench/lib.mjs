// Shared pieces of the benchmark scripts in this folder (bench/run.mjs skips this file): integer flags,
// the median, running a PyTorch script, the machine description, the results file and the table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const TORCH_HINT =
  'install it with: apt-get install -y python3-torch (Debian torch, run with /usr/bin/python3)';
export const TORCHVISION_HINT =
  'install it with: apt-get install -y python3-torch python3-torchvision (run with /usr/bin/python3)';

/** Parses the integer flag --name (at least `min`: 0 or 1); throws on anything else. */
export function int(name, v, min = 0) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} wants a ${min > 0 ? 'positive' : 'non-negative'} integer, got '${v}'`);
  return n;
}

/** 'a, b,,c' -> ['a', 'b', 'c'] */
export const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs `python script ...argv` and returns the JSON it prints, or { error }. By default stderr is captured and a
 * missing torch module is told apart (`what` names it); with inheritStderr the script's stderr goes to ours and
 * the last line of stdout is parsed.
 */
export function runPython(python, script, argv, { hint, what = 'PyTorch', inheritStderr = false }) {
  const name = `bench/${path.basename(script)}`;
  const r = spawnSync(python, [script, ...argv], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', inheritStderr ? 'inherit' : 'pipe'],
    maxBuffer: 64 << 20,
  });
  if (r.error) return { error: `could not run ${python} (${r.error.code ?? r.error.message}); ${hint}` };
  if (inheritStderr) {
    if (r.status !== 0) return { error: `${name} failed (exit ${r.status}); ${hint}` };
    return JSON.parse(r.stdout.trim().split('\n').pop());
  }
  if (r.status !== 0) {
    const missing = /No module named '?torch/.test(r.stderr);
    return {
      error: missing
        ? `${what} is not installed for ${python}; ${hint}`
        : `${name} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    };
  }
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { error: `${name} printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
}

/** The 1-minute load average now (other processes skew both sides); logs a note when it is above 0.5. */
export function loadAverage(log, { cores = true } = {}) {
  const load = Number(os.loadavg()[0].toFixed(2));
  if (load > 0.5)
    log(
      `note: load average ${load} at start: other processes share the ${cores ? `${os.cpus().length} ` : ''}cores`,
    );
  return load;
}

/** The machine description of a results file; with atEnd, the load average now as well. */
export function machine(loadAtStart, { atEnd = false } = {}) {
  const m = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    loadavg1mAtStart: loadAtStart,
  };
  if (atEnd) m.loadavg1mAtEnd = Number(os.loadavg()[0].toFixed(2));
  return m;
}

/** Writes result to <dir>/results/<name>-<date>[-quick].json; returns the file's path. */
export function writeResult(dir, name, result, quick) {
  const outDir = path.join(dir, 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = path.join(
    outDir,
    `${name}-${result.date.slice(0, 19).replace(/:/g, '-')}${quick ? '-quick' : ''}.json`,
  );
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  return outFile;
}

/** 3 significant-ish digits: 123, 12.3, 0.12. */
export const f1 = (v) =>
  v === undefined ? '' : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2);

/** Prints header, a dashed rule and rows with aligned columns; isRight(i) right-aligns column i. */
export function printTable(header, rows, isRight) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((v, i) => (isRight(i) ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** The repository root (this folder's parent). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The built entries of @cv/core (Node) and of packages/<name> (`dist/<entry>`); exits with the build command
 * when either is missing, so a bench fails before its PyTorch run rather than after.
 */
export function builtEntries(name, entry = 'index.js') {
  const pkgDir = path.join(ROOT, 'packages', name);
  const coreEntry = path.join(ROOT, 'packages', 'core', 'dist', 'index.node.js');
  const pkgEntry = path.join(pkgDir, 'dist', entry);
  for (const [file, hint] of [
    [coreEntry, 'cd packages/core && pnpm build'],
    [pkgEntry, `cd packages/${name} && pnpm build`],
  ]) {
    if (!existsSync(file)) {
      console.error(`bench: ${path.relative(ROOT, file)} is missing; build it first: ${hint}`);
      process.exit(1);
    }
  }
  return { pkgDir, coreEntry, pkgEntry };
}

/**
 * Imports what {@link builtEntries} found: `{ tf, cv, pkg }`, with tfjs-core resolved from the package, so that
 * it is the one @cv/core and the package use.
 */
export async function importBuilt({ pkgDir, coreEntry, pkgEntry }) {
  const tf = createRequire(path.join(pkgDir, 'package.json'))('@tensorflow/tfjs-core');
  const cv = await import(pathToFileURL(coreEntry).href);
  const pkg = await import(pathToFileURL(pkgEntry).href);
  return { tf, cv, pkg };
}

/**
 * The command line of a benchmark: `options` (parseArgs's) plus the ones every benchmark takes (--quick,
 * --no-torch, --torch-threads N, --python PATH, --help). --help prints `usage` and exits.
 */
export function benchArgs(options, usage) {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      'no-torch': { type: 'boolean', default: false },
      'torch-threads': { type: 'string' },
      python: { type: 'string', default: '/usr/bin/python3' },
      help: { type: 'boolean', short: 'h', default: false },
      ...options,
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}
