import { defineConfig } from 'vitest/config';

// npm run soak: real processes kept idle, waiting and pacing for minutes (test/soak). Each
// file is one scenario; they run side by side (most of their time is waiting).
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: 240_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 6,
    fileParallelism: true,
    setupFiles: ['./test/helpers/crash-guard.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
