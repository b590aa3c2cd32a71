import { defineConfig } from 'tsup';

const common = {
  sourcemap: true,
  // import.meta.url in the CJS build (finding assets/).
  shims: true,
  target: 'es2022',
  platform: 'neutral',
  splitting: false,
  // tfjs, its backends and the other @cv packages are never bundled (one engine, one kernel registry).
  external: [/^@tensorflow\//, /^@cv\//, /^node:/, 'fast-xml-parser'],
} as const;

export default defineConfig([
  {
    ...common,
    // index: browsers and bundlers (fetch from a base URL); index.node: Node (fs, sharp via @cv/core, generators).
    entry: { index: 'src/index.ts', 'index.node': 'src/index.node.ts' },
    format: ['esm', 'cjs'],
    dts: { banner: "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';" },
    clean: true,
  },
  {
    ...common,
    // The `cv-datasets-voc` command (ESM, Node).
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],

    clean: false,
  },
]);
