// Builds src/generated/gradients.js: tfjs-core's own gradient registrations
// (@tensorflow/tfjs-core/dist/register_all_gradients) and chained tensor methods (x.mean(), x.add(y): its
// public/chained_ops/register_all_chained_ops) as one ESM file that imports nothing but the public
// '@tensorflow/tfjs-core' entry.
//
// Why: tfjs-core registers no gradients by itself in Node, and its ESM files use extensionless imports
// that plain Node cannot load (DESIGN.md, trap 1). Bundling them naively would inline a second copy of
// tfjs-core (engine, tensor, flags). Instead, every tfjs-core internal module that the gradient files
// import is redirected to the public API where the public API exports the same function; only the small
// gradient-op files that tfjs-core does not export (conv2DBackpropFilter, maxPoolGrad, ...) are inlined.
// The build fails if anything else would be inlined, so a tfjs-core upgrade cannot silently duplicate it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, '..', 'src', 'generated');
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core');
const coreDist = path.dirname(require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js'));

/** tfjs-core internal module (path relative to dist, no extension) → expression for its namespace. */
const PUBLIC_NAMESPACES = {
  kernel_names: 'tf',
  kernel_registry: 'tf',
  base: 'tf',
  index: 'tf',
  'ops/ops': 'tf',
  util: 'tf.util',
  util_base: 'tf.util',
  'ops/axis_util': 'tf.backend_util',
  'ops/conv_util': 'tf.backend_util',
  'ops/selu_util': 'tf.backend_util',
  'ops/broadcast_util': 'tf.broadcast_util',
  'ops/slice_util': 'tf.slice_util',
};
const namespaceValue = (expr) =>
  expr
    .split('.')
    .slice(1)
    .reduce((o, k) => o[k], tf);

/** Small internal helpers the inlined gradient-op files use, written against the public API. */
const SHIMS = {
  engine: 'export const ENGINE = tf.engine();',
  'ops/operation': 'export const op = tf.op;',
  tensor: 'export const getGlobalTensorClass = () => tf.Tensor;\nexport const Tensor = tf.Tensor;',
  // Gradient functions always receive tensors; anything else is converted as tfjs-core does.
  tensor_util_env: `export function convertToTensor(x, argName, functionName, parsedDtype = 'numeric') {
  if (x instanceof tf.Tensor) {
    if (parsedDtype !== 'numeric' && parsedDtype !== 'string_or_numeric' && x.dtype !== parsedDtype) {
      throw new Error(\`Argument '\${argName}' passed to '\${functionName}' must be \${parsedDtype} tensor, but got \${x.dtype} tensor\`);
    }
    return x;
  }
  return tf.tensor(x, undefined, parsedDtype === 'numeric' || parsedDtype === 'string_or_numeric' ? undefined : parsedDtype);
}`,
};

const inlined = [];
function exportedNames(src) {
  const declared = [...src.matchAll(/export (?:const|function) (\w+)/g)].map((m) => m[1]);
  const listed = [...src.matchAll(/export \{([^}]*)\}/g)].flatMap((m) =>
    m[1].split(',').map((s) =>
      s
        .trim()
        .split(/\s+as\s+/)
        .pop(),
    ),
  );
  return [...new Set([...declared, ...listed])].filter(Boolean);
}
const redirectPlugin = {
  name: 'tfjs-core-public-api',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.startsWith(coreDist)) return undefined;
      const abs = path.resolve(path.dirname(args.importer), args.path);
      const rel = path.relative(coreDist, abs).replace(/\\/g, '/').replace(/\.js$/, '');
      if (
        rel.startsWith('gradients/') ||
        rel.startsWith('public/chained_ops/') ||
        rel === 'register_all_gradients'
      ) {
        return undefined; // the registrations themselves: inlined
      }
      if (rel in SHIMS || rel in PUBLIC_NAMESPACES) return { path: rel, namespace: 'tfjs-public' };
      if (rel.startsWith('ops/')) {
        // A public op (tf.mul, tf.conv2d, ...) is redirected; an internal gradient op is inlined as is.
        const names = exportedNames(readFileSync(`${abs}.js`, 'utf8'));
        const owner = rel.startsWith('ops/image/') ? 'tf.image' : 'tf';
        if (names.length > 0 && names.every((n) => n in namespaceValue(owner))) {
          return { path: rel, namespace: 'tfjs-public', pluginData: { names, owner } };
        }
        inlined.push(rel);
        return { path: `${abs}.js` };
      }
      return { path: rel, namespace: 'tfjs-public' };
    });
    build.onLoad({ filter: /.*/, namespace: 'tfjs-public' }, (args) => {
      const rel = args.path;
      const prelude = "import * as tf from '@tensorflow/tfjs-core';\n";
      if (rel in SHIMS) return { contents: prelude + SHIMS[rel], loader: 'js' };
      if (args.pluginData?.names) {
        return {
          contents:
            prelude +
            args.pluginData.names
              .map((n) => `export const ${n} = /* @__PURE__ */ (() => ${args.pluginData.owner}.${n})();`)
              .join('\n'),
          loader: 'js',
        };
      }
      const expr = PUBLIC_NAMESPACES[rel];
      if (!expr) {
        throw new Error(
          `bundle-gradients: tfjs-core internal module '${rel}' has no public equivalent; extend PUBLIC_NAMESPACES or SHIMS`,
        );
      }
      const names = Object.keys(namespaceValue(expr)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));
      return {
        contents: `${prelude}const ns = ${expr};\n${names.map((n) => `export const ${n} = /* @__PURE__ */ (() => ns.${n})();`).join('\n')}`,
        loader: 'js',
      };
    });
  },
};

const result = await esbuild.build({
  stdin: {
    contents: [
      "import '@tensorflow/tfjs-core/dist/register_all_gradients.js';",
      "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';",
    ].join('\n'),
    resolveDir: here,
    loader: 'js',
  },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  treeShaking: true,
  legalComments: 'none',
  plugins: [
    {
      name: 'tfjs-core-external',
      setup: (b) =>
        b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, (a) => ({ path: a.path, external: true })),
    },
    redirectPlugin,
  ],
});

const code = result.outputFiles[0].text;
const allowedInline = /^ops\/[a-z0-9_]*(grad|backprop[a-z0-9_]*)$/;
const unexpected = inlined.filter((p) => !allowedInline.test(p));
if (unexpected.length > 0) {
  throw new Error(
    `bundle-gradients: would inline tfjs-core internals ${unexpected.join(', ')}; map them to the public API`,
  );
}
for (const forbidden of ['class Engine', 'class Tensor ', 'registerFlag(']) {
  if (code.includes(forbidden))
    throw new Error(`bundle-gradients: output contains '${forbidden}' (a second tfjs-core copy)`);
}
mkdirSync(outDir, { recursive: true });
const header = `// GENERATED by scripts/bundle-gradients.mjs from @tensorflow/tfjs-core ${tf.version_core} (Apache-2.0, Copyright Google LLC; licence text in LICENSE). Do not edit.\n`;
writeFileSync(path.join(outDir, 'gradients.js'), header + code);
writeFileSync(path.join(outDir, 'gradients.d.ts'), 'export {};\n');
console.log(
  `bundle-gradients: ${(code.length / 1024).toFixed(0)} KiB, inlined gradient ops: ${inlined.join(', ')}`,
);
