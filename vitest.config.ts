import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    setupFiles: ['./test/helpers/crash-guard.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
