import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forked workers: a native crash in one file must not hide the others (sharp's leak harness idea).
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two cores: the native ops already use every thread, so running files in parallel only thrashes.
    fileParallelism: false,
  },
});
