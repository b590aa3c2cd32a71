#!/usr/bin/env node
// `pnpm bench [name ...] [-- flags]`: runs the benchmarks in this folder one after another (each is a plain
// Node script, bench/<name>.mjs, that times @cv beside PyTorch on this machine and writes
// bench/results/<name>-<date>.json). With names, only those; flags after the names go to each script.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && f !== 'lib.mjs')
  .map((f) => f.slice(0, -4))
  .sort();
const argv = process.argv.slice(2).filter((a) => a !== '--');
const names = argv.filter((a) => !a.startsWith('-'));
const flags = argv.filter((a) => a.startsWith('-'));
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`bench: no benchmark named ${unknown.join(', ')}; there are: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of names.length ? names : all) {
  console.log(`\n=== bench/${name}.mjs ${flags.join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(here, `${name}.mjs`), ...flags], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${name}.mjs exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed ? 1 : 0);
