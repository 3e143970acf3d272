/**
 * `promptline eval`: runs an eval suite locally (Promptline or promptfoo config), streams results
 * to the -o files, prints a summary and exits 0 when the thresholds are met, 1 when not (100 with
 * --promptfoo-exit-codes), 2 for configuration errors.
 *
 * The config is read here first. A small suite (up to {@link IN_PROCESS_MAX_CALLS} model calls)
 * then runs in this thread: a worker would cost a second V8 isolate and a second load of every
 * eval module (~0.2 s of CPU), most of a small run. A bigger one runs in a worker thread with a
 * small young generation and a capped old generation: a run allocates fast (HTTP, JSON, grading)
 * but keeps little, and with Node's defaults the heap would grow to several hundred MB on big
 * suites before collecting. Results are streamed, so the cap is never approached by a
 * well-behaved run. The worker reads the config again (registry references too): once more for a
 * run that is long anyway.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Command } from '../command.ts';

const HEAP_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 1024 };
/**
 * Suites with at most this many model calls run without a worker (see above);
 * `PROMPTLINE_EVAL_WORKER=1` sends every suite to the worker (its heap limits apply to all).
 */
export const IN_PROCESS_MAX_CALLS = 1_000;

// The thread starts from this plain-JS bootstrap, not from worker.ts: V8's compile cache is per
// thread and must be on before the first module compiles, or every run strips and compiles the
// whole module graph afresh (~0.3 s of a small eval). From src/, the thread also needs the
// `source` export condition, which bin/promptline.js may have added with a resolve hook of the
// main thread only (hooks are per thread).
const BOOTSTRAP = `
const module = require('node:module');
const { workerData } = require('node:worker_threads');
module.enableCompileCache?.(workerData.compileCache);
if (workerData.source) {
  module.registerHooks?.({
    resolve: (specifier, context, next) =>
      next(specifier, context.conditions.includes('source') ? context : { ...context, conditions: [...context.conditions, 'source'] }),
  });
}
import(workerData.entry).catch((err) => { process.nextTick(() => { throw err; }); });
`;

async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const { EVAL_HELP } = await import('../eval/help.ts');
    process.stdout.write(EVAL_HELP);
    return 0;
  }
  const inProcess = process.env.PROMPTLINE_EVAL_WORKER === '1' ? null : await runInProcess(argv);
  if (inProcess !== null) return inProcess;
  // src/ runs as TypeScript (type stripping), dist/ as JavaScript.
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(source ? '../eval/worker.ts' : '../eval/worker.js', import.meta.url);
  // The same folder as bin/promptline.js uses, so the command and the thread share one cache.
  const compileCache = process.env.NODE_COMPILE_CACHE || join(tmpdir(), 'promptline-compile-cache');
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: {
      argv,
      cwd: process.cwd(),
      tty: process.stderr.isTTY === true,
      entry: entry.href,
      source,
      compileCache,
    },
    env: process.env,
    resourceLimits: HEAP_LIMITS,
  });
  const onSignal = () => worker.postMessage({ type: 'abort' });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await new Promise<number>((resolve) => {
      let code = 1;
      worker.on('message', (msg: { type?: string; code?: number }) => {
        if (msg.type === 'done' && typeof msg.code === 'number') code = msg.code;
      });
      worker.on('error', (err) => {
        const oom = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        process.stderr.write(
          oom
            ? `promptline eval ran out of memory (${HEAP_LIMITS.maxOldGenerationSizeMb} MB heap). Split the suite or lower --max-concurrency.\n`
            : `promptline eval failed: ${err.stack ?? err.message}\n`,
        );
        code = 1;
      });
      worker.on('exit', () => resolve(code));
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Reads the config in this thread and runs a small suite here; answers null when the suite is big
 * enough for the worker. Ctrl-C cancels the run as it does in the worker (exit 130).
 */
async function runInProcess(argv: string[]): Promise<number | null> {
  const { prepareEvalCli } = await import('../eval/run.ts');
  const controller = new AbortController();
  const prepared = await prepareEvalCli(argv, {
    cwd: process.cwd(),
    tty: process.stderr.isTTY === true,
    signal: controller.signal,
    env: process.env,
  });
  if ('code' in prepared) return prepared.code;
  if (prepared.calls > IN_PROCESS_MAX_CALLS) return null;
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await prepared.execute();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The `eval` command. */
export const evalCommand: Command = { run };
