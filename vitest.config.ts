import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Generous: the simulated account imports each function's bundle (the AWS SDK included, about
    // 1 MB) once per execution environment, which a loaded 2-core machine can take seconds over.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
