import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'index.node': 'src/index.node.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  // Users get tfjs-core's chained-method types (x.mean()) along with the methods @cv/core registers.
  dts: { banner: "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';" },
  sourcemap: true,
  // import.meta.url in the CJS build (createRequire in the Node platform).
  shims: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  splitting: false,
  // The testing entry imports "@cv/core" itself, so it shares the one initialised copy.

  // tfjs and its backends are peers: never bundle them (one engine, one kernel registry).
  // The generated gradient bundle (src/generated) is ours and is inlined.
  external: [/^@tensorflow\//, 'webgpu', /^node:/, '@cv/core'],
});
