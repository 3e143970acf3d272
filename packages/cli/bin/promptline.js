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
if (existsSync(source) && module.registerHooks) {
  // The sources resolve workspace packages through the `source` export condition. A resolve hook
  // in this thread adds it, which saves starting a second Node process (~50 ms) for every command;
  // the eval worker thread registers the same hook (commands/eval.ts).
  module.registerHooks({
    resolve: (specifier, context, next) =>
      next(
        specifier,
        context.conditions.includes('source')
          ? context
          : { ...context, conditions: [...context.conditions, 'source'] },
      ),
  });
  // What the second process had: the compile cache (also for the processes a command starts) and
  // no warning output (it ran with --no-warnings).
  process.env.NODE_COMPILE_CACHE = cacheDir;
  module.enableCompileCache?.(cacheDir);
  process.removeAllListeners('warning');
  const { main } = await import('../src/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else if (existsSync(source)) {
  // Node without module.registerHooks (< 22.15): a second process with the condition on.
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
