// Bundles bench/gpu/check.mjs with @cv/core (from source, so that the WebGPU kernels of this checkout are
// in it), tfjs-core and the cpu/webgpu backends into ONE file for the GPU machine, which has no node_modules.
// Model packages (@cv/ssd, @cv/fcn, @cv/style-transfer) and op packages (@cv/roi-pool, @cv/transposed-conv)
// are bundled from their dist/ when built; otherwise they become a stub that says 'not built'.
// Usage: node bench/gpu/build.mjs <outfile> [entry]   (bench/gpu/prepare.sh calls it)
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outfile = process.argv[2] ?? path.join(root, 'bench/gpu/.travel/check.mjs');
// esbuild is installed for tsup (node_modules/.pnpm/esbuild@*); resolve it through @cv/core's devDependency.
const require = createRequire(path.join(root, 'packages/core/package.json'));
const esbuild = require('esbuild');

const OPTIONAL = ['ssd', 'fcn', 'style-transfer', 'roi-pool', 'transposed-conv'];
const built = {};
for (const p of OPTIONAL) {
  const dist = path.join(root, 'packages', p, 'dist/index.js');
  built[p] = existsSync(dist) ? dist : null;
}

const plugin = {
  name: 'cv-gpu-check',
  setup(build) {
    build.onResolve({ filter: /^@cv\/core$/ }, () => ({
      path: path.join(root, 'packages/core/src/index.node.ts'),
    }));
    build.onResolve({ filter: /^@cv\/core\/testing$/ }, () => ({
      path: path.join(root, 'packages/core/src/testing/index.ts'),
    }));
    build.onResolve({ filter: /^@cv\/(ssd|fcn|style-transfer|roi-pool|transposed-conv)$/ }, (args) => {
      const name = args.path.slice(4);
      const dist = built[name];
      if (dist) return { path: dist };
      return { path: args.path, namespace: 'not-built' };
    });
    build.onLoad({ filter: /.*/, namespace: 'not-built' }, (args) => ({
      contents: `export const __notBuilt = ${JSON.stringify(args.path)};`,
      loader: 'js',
    }));
    // sharp is native (image files): not needed by the check, not available there.
    build.onResolve({ filter: /^sharp$/ }, () => ({ path: 'sharp', namespace: 'stub' }));
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: `export default function sharp() { throw new Error('sharp is not in the GPU check bundle'); }`,
      loader: 'js',
    }));
  },
};

const result = await esbuild.build({
  entryPoints: [path.resolve(process.argv[3] ?? path.join(root, 'bench/gpu/check.mjs'))],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: false,
  legalComments: 'none',
  // CJS modules inside an ESM bundle need a real require for Node built-ins.
  banner: {
    js: "import { createRequire as __cvCreateRequire } from 'node:module'; const require = __cvCreateRequire(import.meta.url);",
  },
  plugins: [plugin],
  external: ['webgpu'],
  // tfjs and its backends as @cv/core has them installed (one copy of tfjs-core for everything).
  nodePaths: [path.join(root, 'packages/core/node_modules')],
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((a, o) => a + o.bytes, 0);
console.log(
  `bundle ${path.relative(root, outfile)}: ${(bytes / 2 ** 20).toFixed(1)} MiB; packages: ${OPTIONAL.map((p) => `${p} ${built[p] ? 'built' : 'not built'}`).join(', ')}`,
);
