// Tests run against real Temporal servers and the sandbox, which need time to start;
// files run one at a time so that two Temporal servers never fight for the two cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
