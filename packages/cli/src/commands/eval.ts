/**
 * `promptline eval`: runs an eval suite locally (Promptline or promptfoo config), streams results
 * to the -o files, prints a summary and exits 0 when the thresholds are met, 1 when not (100 with
 * --promptfoo-exit-codes), 2 for configuration errors.
 *
 * The run happens in a worker thread with a small young generation and a capped old generation:
 * a run allocates fast (HTTP, JSON, grading) but keeps little, and with Node's defaults the heap
 * would grow to several hundred MB on big suites before collecting. Results are streamed, so the
 * cap is never approached by a well-behaved run.
 */
import { Worker } from 'node:worker_threads';
import type { Command } from '../command.ts';

const HEAP_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 1024 };

async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    const { EVAL_HELP } = await import('../eval/run.ts');
    process.stdout.write(EVAL_HELP);
    return 0;
  }
  // src/ runs as TypeScript (type stripping), dist/ as JavaScript.
  const entry = new URL(
    import.meta.url.endsWith('.ts') ? '../eval/worker.ts' : '../eval/worker.js',
    import.meta.url,
  );
  const worker = new Worker(entry, {
    workerData: { argv, cwd: process.cwd(), tty: process.stderr.isTTY === true },
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

/** The `eval` command. */
export const evalCommand: Command = { run };
