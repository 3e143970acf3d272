#!/usr/bin/env node
// Entry of the `promptline` command. Inside the repository it runs the TypeScript sources
// directly (Node >= 22.18 strips types); an installed package runs its built `dist/`.
// Both keep V8's compile cache on disk: it roughly halves the start of every later run, which is
// most of a small eval's wall time.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cacheDir = process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'promptline-compile-cache');
const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
if (existsSync(source)) {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--no-warnings', source, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, NODE_COMPILE_CACHE: cacheDir },
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  module.enableCompileCache?.(cacheDir);
  const { main } = await import('../dist/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
