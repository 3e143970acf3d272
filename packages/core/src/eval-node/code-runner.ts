/**
 * Runs custom JavaScript evaluators (and http response transforms) in worker threads, so an
 * evaluator that throws, loops forever or eats memory fails its own case and never the run: each
 * task has a timeout, each worker a heap cap, and a stuck or crashed worker is replaced.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CodeEvaluator } from '../eval/types.ts';

// Plain JS run with `eval: true`, so the same source works from src/ (TypeScript) and dist/.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const inline = new Map();
const files = new Map();
function compile(code, params) {
  const key = params.join(',') + '\\u0000' + code;
  let fn = inline.get(key);
  if (!fn) {
    const body = code.includes('\\n') ? code : 'return (' + code + ');';
    fn = new Function(...params, body);
    inline.set(key, fn);
  }
  return fn;
}
async function loadFile(ev) {
  const key = ev.path + '#' + (ev.functionName || '');
  if (files.has(key)) return files.get(key);
  const mod = await import(pathToFileURL(ev.path).href);
  let fn = ev.functionName ? mod[ev.functionName] : mod.default;
  if (fn && typeof fn === 'object' && typeof fn.default === 'function') fn = fn.default;
  if (typeof fn !== 'function') {
    throw new Error(ev.path + ' does not export ' + (ev.functionName ? 'a function named ' + ev.functionName : 'a default function'));
  }
  files.set(key, fn);
  return fn;
}
parentPort.on('message', async (msg) => {
  try {
    let result;
    if (msg.type === 'assert') {
      const fn = msg.evaluator.kind === 'inline' ? compile(msg.evaluator.code, ['output', 'context']) : await loadFile(msg.evaluator);
      result = await fn(msg.output, msg.context);
      if (typeof result === 'function') result = await result(msg.output, msg.context);
    } else {
      const fn = compile(msg.code, ['json', 'text']);
      result = await fn(msg.json, msg.text);
      if (typeof result === 'function') result = await result(msg.json, msg.text);
    }
    parentPort.postMessage({ id: msg.id, ok: true, result });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, error: err && err.message ? err.message : String(err) });
  }
});
`;

/** Limits of the evaluator sandbox. */
export interface CodeRunnerOptions {
  /** Per evaluation, default 10 s. */
  timeoutMs?: number;
  /** Heap cap of each worker, default 128 MB. */
  memoryMb?: number;
  /** Worker count, default min(4, CPUs). */
  workers?: number;
}

/** A pool of evaluator workers. */
export interface CodeRunner {
  /** Runs an assertion evaluator on an output; rejects with the evaluator's error, a timeout or a crash. */
  evaluate(evaluator: CodeEvaluator, output: string, context: Record<string, unknown>): Promise<unknown>;
  /** Runs a transform expression over `json` and `text` (http provider responses). */
  transform(code: string, json: unknown, text: string): Promise<unknown>;
  close(): Promise<void>;
}

type Task =
  | { type: 'assert'; evaluator: CodeEvaluator; output: string; context: Record<string, unknown> }
  | {
      type: 'transform';
      code: string;
      json: unknown;
      text: string;
    };

interface Slot {
  worker: Worker | null;
  busy: boolean;
}

interface Pending {
  task: Task;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Creates a lazily started pool of evaluator workers. Close it when the run ends. */
export function createCodeRunner(options: CodeRunnerOptions = {}): CodeRunner {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const memoryMb = options.memoryMb ?? 128;
  const slots: Slot[] = Array.from(
    { length: options.workers ?? Math.min(4, availableParallelism()) },
    () => ({
      worker: null,
      busy: false,
    }),
  );
  const queue: Pending[] = [];
  let nextId = 0;
  let closed = false;

  const spawn = (): Worker => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(32, memoryMb) },
      stdout: true,
      stderr: true,
    });
    // Evaluators' console output is discarded: it would corrupt the CLI's --json output.
    worker.stdout.resume();
    worker.stderr.resume();
    worker.unref();
    return worker;
  };

  const run = (slot: Slot, job: Pending) => {
    slot.busy = true;
    const worker = slot.worker ?? spawn();
    slot.worker = worker;
    const id = nextId++;
    let settled = false;
    const finish = (replace: boolean, error: Error | null, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (replace) {
        slot.worker = null;
        void worker.terminate();
      }
      slot.busy = false;
      if (error) job.reject(error);
      else job.resolve(value);
      pump();
    };
    const onMessage = (msg: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      if (msg.id !== id) return;
      if (msg.ok) finish(false, null, msg.result);
      else finish(false, new Error(msg.error ?? 'evaluator failed'));
    };
    const onError = (err: Error) => {
      const oom = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish(
        true,
        new Error(
          oom ? `evaluator exceeded its ${memoryMb} MB memory limit` : `evaluator crashed: ${err.message}`,
        ),
      );
    };
    const onExit = (code: number) => finish(true, new Error(`evaluator worker exited with code ${code}`));
    const timer = setTimeout(
      () => finish(true, new Error(`evaluator timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    try {
      worker.postMessage({ id, ...job.task });
    } catch (err) {
      finish(false, new Error(`evaluator input cannot be sent to the worker: ${(err as Error).message}`));
    }
  };

  const pump = () => {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (!slot.busy) {
        const job = queue.shift();
        if (job) run(slot, job);
      }
    }
  };

  const submit = (task: Task) =>
    new Promise<unknown>((resolve, reject) => {
      if (closed) {
        reject(new Error('the evaluator pool is closed'));
        return;
      }
      queue.push({ task, resolve, reject });
      pump();
    });

  return {
    evaluate: (evaluator, output, context) => submit({ type: 'assert', evaluator, output, context }),
    transform: (code, json, text) => submit({ type: 'transform', code, json, text }),
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('the evaluator pool was closed'));
      await Promise.all(slots.map((s) => s.worker?.terminate()));
    },
  };
}
