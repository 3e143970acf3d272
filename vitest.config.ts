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
    // A minute: CLI and browser tests run many processes in a row and take 10–25 s on a loaded
    // machine (CI shares two cores among three files at once); a hung test still fails.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default on this 2-core machine is one worker, which leaves a core idle while a file
    // waits on PostgreSQL, a child process or Chromium (the suite uses about half the CPU time its
    // wall time offers). Three files at once keep both cores busy without starving one another.
    maxWorkers: 3,
    // Files share their worker's module graph instead of importing the server afresh: a file's
    // import of the app costs 2–4 s of CPU here, which 241 files paid again and again (measured on
    // the whole suite: 20 → 15.6 min of CPU, 13 → 12 min of wall). Every test builds its own app,
    // database and servers and closes them, so a file must not rely on a module's state being
    // fresh (no vi.mock here; process.env changes are restored by the file that makes them).
    isolate: false,
    globalSetup: ['packages/server/src/test-helpers/global-setup.ts'],
  },
});
