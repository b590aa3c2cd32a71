import { defineConfig } from 'vitest/config';

// Tests import '@cv/core' as users do (its built Node entry; turbo builds it first).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
