#!/usr/bin/env node
// Browser bundle sizes of the @cv packages, and a guard that no Node-only module reaches a browser bundle.
//
//   node scripts/sizes.mjs [--json]
//
// For every package under packages/ with a built dist/, esbuild (from the workspace's node_modules/.pnpm)
// bundles `export * from '@cv/<pkg>'` for the browser platform (the `browser`/`import` export conditions, as
// Vite and webpack resolve them), minified, with tfjs (`@tensorflow/*`) external, and reports the gzipped size
// (level 9): "own" with the other @cv packages external too, "with @cv deps" with them included (what an app
// adds on top of tfjs), and "one export" for a single named import (tree-shaking at work). Chunks a package
// imports dynamically (code splitting on) are loaded on first use and counted apart ("on first use").
// Any import of a Node built-in (fs, path, node:*, ...), sharp, @napi-rs/canvas, cli-progress, webgpu/Dawn or
// tfjs-node reached from a browser bundle is an error: the script lists where it came from and exits 1.
// Prints a markdown table for the README.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const webRoot = path.resolve(here, '..');
const repo = path.resolve(webRoot, '../..');

// esbuild: the newest one in the pnpm store (it is a dependency of tsup and vite, not of this package).
const pnpmDir = path.join(repo, 'node_modules/.pnpm');
const esbuildDirs = readdirSync(pnpmDir)
  .filter((d) => /^esbuild@\d/.test(d))
  .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
if (esbuildDirs.length === 0) throw new Error(`sizes: no esbuild in ${pnpmDir}`);
const esbuildDir = path.join(pnpmDir, esbuildDirs.at(-1), 'node_modules/esbuild');
const esbuild = createRequire(path.join(esbuildDir, 'package.json'))(esbuildDir);

// A single export per package for the tree-shaking column.
const ONE_EXPORT = {
  '@cv/core': 'initBackend',
  '@cv/anchors': 'boxIou',
  '@cv/transposed-conv': 'bilinearKernel',
  '@cv/roi-pool': 'roiPool',
  '@cv/datasets-voc': null,
  '@cv/ssd': null,
  '@cv/fcn': null,
  '@cv/style-transfer': null,
};

const NODE_ONLY =
  /^(node:|sharp$|sharp\/|@img\/|@napi-rs\/canvas|canvas$|cli-progress|webgpu$|webgpu\/|dawn|@tensorflow\/tfjs-node)/;
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Marks tfjs (and optionally the other @cv packages) external; records Node-only imports instead of failing. */
function guard(self, externalCv, found) {
  return {
    name: 'cv-browser-guard',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (a) => {
        if (a.kind === 'entry-point') return null;
        const spec = a.path;
        if (builtins.has(spec) || builtins.has(spec.split('/')[0]) || NODE_ONLY.test(spec)) {
          found.push(`${spec} (imported by ${path.relative(repo, a.importer)})`);
          return { path: spec, external: true };
        }
        if (spec.startsWith('@tensorflow/')) return { path: spec, external: true };
        if (externalCv && spec.startsWith('@cv/') && spec !== self) return { path: spec, external: true };
        return null;
      });
    },
  };
}

async function bundle(pkg, entry, externalCv) {
  const found = [];
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: webRoot, loader: 'js', sourcefile: 'entry.js' },
    bundle: true,
    write: false,
    // Code splitting as an app bundler does it: what a package imports dynamically (vega for @cv/core's
    // renderHistorySvg) becomes a chunk loaded on first use, counted apart.
    splitting: true,
    outdir: path.join(webRoot, '.sizes-out'),
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    treeShaking: true,
    logLevel: 'silent',
    metafile: true,
    plugins: [guard(pkg, externalCv, found)],
  });
  const outputs = result.metafile.outputs;
  const files = new Map(result.outputFiles.map((f) => [path.relative(process.cwd(), f.path), f.contents]));
  const entryOut = Object.keys(outputs).find((o) => outputs[o].entryPoint);
  // The entry chunk and every chunk it imports statically: loaded with the package.
  const initial = new Set();
  const visit = (o) => {
    if (initial.has(o)) return;
    initial.add(o);
    for (const i of outputs[o].imports) if (i.kind === 'import-statement' && outputs[i.path]) visit(i.path);
  };
  visit(entryOut);
  const size = (names) => {
    let min = 0;
    let gz = 0;
    for (const o of names) {
      const code = files.get(o);
      min += code.length;
      gz += gzipSync(code, { level: 9 }).length;
    }
    return { min, gz };
  };
  // Chunks the loaded code can import() later (esbuild also emits chunks for dynamic imports it shook off).
  const lazySet = new Set();
  const visitLazy = (o) => {
    if (initial.has(o) || lazySet.has(o)) return;
    lazySet.add(o);
    for (const i of outputs[o].imports) if (outputs[i.path]) visitLazy(i.path);
  };
  for (const o of initial)
    for (const i of outputs[o].imports) if (i.kind === 'dynamic-import' && outputs[i.path]) visitLazy(i.path);
  const now = size([...initial]);
  const lazy = size([...lazySet]);
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('entry.js'));
  return { min: now.min, gz: now.gz, lazyGz: lazy.gz, found, inputs };
}

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;

const packages = readdirSync(path.join(repo, 'packages'))
  .map((d) => path.join(repo, 'packages', d))
  .filter((d) => existsSync(path.join(d, 'package.json')))
  .map((d) => ({ dir: d, pkg: JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')) }))
  .sort((a, b) => a.pkg.name.localeCompare(b.pkg.name));

const rows = [];
const problems = [];
const notBuilt = [];
for (const { dir, pkg } of packages) {
  const name = pkg.name;
  if (!existsSync(path.join(dir, 'dist'))) {
    notBuilt.push(name);
    continue;
  }
  const all = `export * from '${name}';`;
  const own = await bundle(name, all, true);
  const full = await bundle(name, all, false);
  const oneName = ONE_EXPORT[name];
  const one = oneName ? await bundle(name, `export { ${oneName} } from '${name}';`, false) : null;
  for (const f of new Set([...own.found, ...full.found])) problems.push(`${name}: Node-only import ${f}`);
  const deps = [...new Set(full.inputs.map((f) => f.match(/packages\/([^/]+)\//)?.[1]).filter(Boolean))]
    .map((d) => `@cv/${d}`)
    .filter((d) => d !== name);
  rows.push({
    name,
    own: own.gz,
    ownMin: own.min,
    full: full.gz,
    lazy: full.lazyGz,
    one: one?.gz ?? null,
    oneName,
    deps,
  });
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ esbuild: esbuild.version, rows, notBuilt, problems }, null, 2));
} else {
  console.log(
    `Browser bundles (esbuild ${esbuild.version}, platform browser, minified, gzip -9; tfjs external):\n`,
  );
  console.log('| package | own (min + gz) | with its @cv deps | one export | on first use | includes |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    console.log(
      `| \`${r.name}\` | ${kb(r.own)} (${kb(r.ownMin)} min) | ${kb(r.full)} | ${
        r.one === null ? '–' : `${kb(r.one)} (\`${r.oneName}\`)`
      } | ${r.lazy ? kb(r.lazy) : '–'} | ${r.deps.length ? r.deps.map((d) => `\`${d}\``).join(', ') : '–'} |`,
    );
  }
  if (notBuilt.length) console.log(`\nNot built yet (no dist/): ${notBuilt.join(', ')}`);
  console.log(
    problems.length
      ? `\nNode-only modules in browser bundles:\n- ${problems.join('\n- ')}`
      : '\nNo Node-only module (node:*, fs, sharp, webgpu/Dawn, tfjs-node, cli-progress) in any browser bundle.',
  );
}
process.exit(problems.length ? 1 : 0);
