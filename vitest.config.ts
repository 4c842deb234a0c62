import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forked workers: a native crash in one file must not hide the others (sharp's leak harness idea).
    pool: 'forks',
    // A test's limit is a hang detector, not a speed check: the default sweep (~35 s alone) took
    // over 120 s on a machine shared with builds and other runs.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Two cores: the native ops already use every thread, so running files in parallel only thrashes.
    fileParallelism: false,
  },
});
