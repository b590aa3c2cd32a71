import { defineConfig } from 'tsup';

export default defineConfig({
  // parallel-worker: the worker-thread entry of createParallelTrainer (found beside node.js/node.cjs at run time).
  entry: { index: 'src/index.ts', node: 'src/node.ts', 'parallel-worker': 'src/parallel-worker.ts' },
  format: ['esm', 'cjs'],
  dts: { banner: "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';" },
  sourcemap: true,
  shims: true, // import.meta.url in the CommonJS build (parallel.ts finds its worker entry with it)
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // tfjs, its backends and the other @cv packages are never bundled (one engine, one kernel registry).
  external: [/^@tensorflow\//, /^@cv\//, /^node:/],
});
