#!/usr/bin/env node
// Entry of the `promptline` command. It runs on whatever Node the shell has:
// - a Node that strips TypeScript types (>= 22.18, or 23.6) inside the repository runs the sources;
// - any other supported Node runs the compiled `dist/` (built by `npm install` in the repository,
//   shipped in the package);
// - a Node older than the compiled CLI needs gets one line saying which Node to install.
// Both keep V8's compile cache on disk: it roughly halves the start of every later run, which is
// most of a small eval's wall time.
// Only dynamic imports below the version check, so an old Node reaches the check.

/** The oldest Node the compiled CLI runs on (util.styleText and import.meta.resolve without flags). */
const MINIMUM = [20, 12];
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1])) {
  process.stderr.write(
    `promptline needs Node.js ${MINIMUM.join('.')} or newer (this is v${process.versions.node}); install the current LTS from https://nodejs.org or with a version manager (\`nvm install --lts\`), then run it again.\n`,
  );
  process.exit(1);
}

const { spawn } = await import('node:child_process');
const { existsSync } = await import('node:fs');
const { default: module } = await import('node:module');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const { fileURLToPath } = await import('node:url');

const cacheDir = process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'promptline-compile-cache');
const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const compiled = fileURLToPath(new URL('../dist/main.js', import.meta.url));
// `process.features.typescript` is 'strip' or 'transform' where Node strips types, false (or
// absent, before Node 22.10) where it cannot: then the sources are of no use to it.
const stripsTypes = Boolean(process.features.typescript);
const fromSource = stripsTypes && existsSync(source);

if (fromSource && module.registerHooks) {
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
} else if (fromSource) {
  // A Node that strips types but has no module.registerHooks: a second process with the condition on.
  const child = spawn(
    process.execPath,
    [...process.execArgv, '--conditions=source', '--no-warnings', source, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, NODE_COMPILE_CACHE: cacheDir },
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else if (existsSync(compiled)) {
  module.enableCompileCache?.(cacheDir);
  const { main } = await import('../dist/main.js');
  process.exitCode = await main(process.argv.slice(2));
} else {
  process.stderr.write(
    `promptline: the compiled CLI (${compiled}) is missing and this Node (${process.version}) cannot run the TypeScript sources; run \`npm install\` (or \`npx tsc -b\`) in the repository first, or use Node.js 22.18 or newer.\n`,
  );
  process.exit(1);
}
