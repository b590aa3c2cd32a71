import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on the sources; '@cv/core' resolves to the Node entry as it does for users in Node.
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@cv\/core\/testing$/,
        replacement: fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)),
      },
      { find: /^@cv\/core$/, replacement: fileURLToPath(new URL('./src/index.node.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
