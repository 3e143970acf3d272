import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'e2e/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default on this 2-core machine is one worker, which leaves a core idle while a file
    // waits on PostgreSQL, a child process or Chromium (the suite uses about half the CPU time its
    // wall time offers). Three files at once keep both cores busy without starving one another.
    maxWorkers: 3,
    globalSetup: ['packages/server/src/test-helpers/global-setup.ts'],
  },
});
