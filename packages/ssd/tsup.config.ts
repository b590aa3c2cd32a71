import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: ['esm', 'cjs'],
  dts: { banner: "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';" },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // tfjs, its backends and the other @cv packages are never bundled (one engine, one kernel registry).
  external: [/^@tensorflow\//, /^@cv\//, /^node:/],
});
