/**
 * Worker-thread entry of `promptline eval` (started by commands/eval.ts with heap limits).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runEvalCli } from './run.ts';

const data = workerData as { argv: string[]; cwd: string; tty: boolean };
const controller = new AbortController();
parentPort?.on('message', (msg: { type?: string }) => {
  if (msg.type === 'abort') controller.abort();
});
const code = await runEvalCli(data.argv, {
  cwd: data.cwd,
  tty: data.tty,
  signal: controller.signal,
  env: process.env,
});
parentPort?.postMessage({ type: 'done', code });
// Evaluator workers and keep-alive sockets must not hold the run open once it is done.
parentPort?.close();
