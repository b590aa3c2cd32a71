import { defineConfig } from 'vitest/config';

// Tests import '@cv/core' as users do (its built Node entry; turbo builds it first).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
