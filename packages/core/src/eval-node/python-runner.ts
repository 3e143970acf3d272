/**
 * Runs Python from eval configs — `python` assertions (inline or `file://x.py[:fn]`), Python
 * providers (`call_api`) and prompt functions — in `python3` subprocesses with the isolation of the
 * JavaScript evaluators (code-runner.ts): each task has a timeout, each process an address-space
 * cap, a stuck or crashed process is killed and replaced, and what the code prints never reaches
 * the CLI's output. Processes are started on first use and reused (modules are imported once).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { CodeEvaluator } from '../eval/types.ts';

/**
 * The worker: reads one JSON task per line on stdin, answers one JSON line on the protocol pipe (a
 * copy of stdout taken before stdout is sent to /dev/null, so `print` cannot corrupt it). Python 3.9
 * syntax (checked by packages/python/tests/test_syntax.py, which reads it from this file).
 */
export const PYTHON_WORKER_SOURCE = String.raw`
import asyncio, importlib.util, inspect, json, math, os, re, sys, textwrap, traceback

protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 1)
sys.stdout = open(os.devnull, "w")
modules = {}
inline = {}


def load(path):
    module = modules.get(path)
    if module is None:
        directory = os.path.dirname(path)
        if directory not in sys.path:
            sys.path.insert(0, directory)
        spec = importlib.util.spec_from_file_location("promptline_user_%d" % len(modules), path)
        if spec is None or spec.loader is None:
            raise ImportError("cannot import %s" % path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules[path] = module
    return module


def function(path, name):
    target = load(path)
    for part in name.split("."):
        if not hasattr(target, part):
            raise AttributeError("%s defines no function %s" % (path, name))
        target = getattr(target, part)
    if inspect.isclass(target):
        target = target()
    if not callable(target):
        raise TypeError("%s in %s is not a function" % (name, path))
    return target


def inline_assert(code):
    fn = inline.get(code)
    if fn is None:
        scope = {"json": json, "math": math, "re": re}
        if "\n" in code.strip():
            body = textwrap.indent(textwrap.dedent(code), "    ")
            exec("def __promptline_assert(output, context):\n" + body, scope)
            fn = scope["__promptline_assert"]
        else:
            compiled = compile(code.strip(), "<python assertion>", "eval")
            fn = lambda output, context: eval(compiled, dict(scope), {"output": output, "context": context})
        inline[code] = fn
    return fn


def script(path, context):
    """A prompt file without a function: run as a script with the context as its argument; what it
    prints is the prompt (promptfoo's: python prompt.py <context>)."""
    import io, runpy
    captured = io.StringIO()
    saved = sys.stdout, sys.argv
    sys.stdout, sys.argv = captured, [path, json.dumps(context)]
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as stop:
        if stop.code not in (None, 0):
            raise RuntimeError("%s exited with %r" % (os.path.basename(path), stop.code))
    finally:
        sys.stdout, sys.argv = saved
    return captured.getvalue().rstrip("\n")


def settle(value):
    if inspect.isawaitable(value):
        async def wait():
            return await value
        return asyncio.run(wait())
    return value


def plain(value):
    if hasattr(value, "__float__") and not isinstance(value, (bool, int, float, str)):
        return float(value)
    if hasattr(value, "_asdict"):
        return value._asdict()
    if hasattr(value, "__dict__"):
        return vars(value)
    return str(value)


def run(task):
    kind = task["type"]
    if kind == "assert":
        fn = inline_assert(task["code"]) if "code" in task else function(task["path"], task.get("functionName") or "get_assert")
        result = settle(fn(task["output"], task["context"]))
        if isinstance(result, dict) and "pass_" in result and "pass" not in result:
            result = dict(result)
            result["pass"] = result.pop("pass_")
        return result
    if kind == "provider":
        fn = function(task["path"], task.get("functionName") or "call_api")
        return settle(fn(task["prompt"], task["options"], task["context"]))
    if kind == "prompt":
        if not task.get("functionName"):
            return script(task["path"], task["context"])
        fn = function(task["path"], task["functionName"])
        return settle(fn(task["context"]))
    raise ValueError("unknown task %r" % kind)


protocol.write('{"ready": true}\n')
protocol.flush()
for line in sys.stdin:
    task = json.loads(line)
    try:
        answer = {"id": task["id"], "ok": True, "result": run(task)}
        text = json.dumps(answer, default=plain, allow_nan=False)
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        frames = traceback.extract_tb(error.__traceback__)
        where = ""
        for frame in reversed(frames):
            if not frame.filename.startswith("<string>"):
                where = " (%s:%d)" % (os.path.basename(frame.filename), frame.lineno)
                break
        message = "%s: %s%s" % (type(error).__name__, error, where)
        text = json.dumps({"id": task["id"], "ok": False, "error": message})
    protocol.write(text + "\n")
    protocol.flush()
`;

/** Limits of the Python sandbox. */
export interface PythonRunnerOptions {
  /** The interpreter (default `python3` on the PATH). */
  python?: string;
  /** Per task, default 30 s (a provider calls a model). */
  timeoutMs?: number;
  /** Address-space cap of each process, default 1024 MB. */
  memoryMb?: number;
  /** Process count, default min(4, CPUs). */
  workers?: number;
}

/** A Python provider or prompt function: a file and the function in it. */
export interface PythonFunction {
  path: string;
  functionName?: string;
}

export interface PythonRunner {
  /** Runs a `python` assertion; rejects with the Python error, a timeout or a crash. */
  evaluate(evaluator: CodeEvaluator, output: string, context: Record<string, unknown>): Promise<unknown>;
  /** Calls a provider's `call_api(prompt, options, context)` (or the named function). */
  callProvider(
    target: PythonFunction,
    prompt: string,
    options: Record<string, unknown>,
    context: Record<string, unknown>,
  ): Promise<unknown>;
  /** Calls a prompt function with `{ vars, provider }` (a file without one runs as a script). */
  renderPrompt(target: PythonFunction, context: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/** Longest wait for a new python3 process to be ready. */
const STARTUP_TIMEOUT_MS = 60_000;

type Task = Record<string, unknown> & { type: 'assert' | 'provider' | 'prompt' };

interface Slot {
  proc: ChildProcess | null;
  busy: boolean;
  /** The process said it is ready (imports done): task timers start from there, not from the spawn. */
  ready: boolean;
  onReady: (() => void) | null;
  /** Answers not yet consumed (the protocol is line-based). */
  buffer: string;
  /** The last of what the process wrote on stderr, for crash messages. */
  stderr: string;
}

interface Pending {
  task: Task;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Creates a lazily started pool of Python processes. Close it when the run ends. */
export function createPythonRunner(options: PythonRunnerOptions = {}): PythonRunner {
  const python = options.python ?? 'python3';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const memoryMb = options.memoryMb ?? 1024;
  const slots: Slot[] = Array.from(
    { length: options.workers ?? Math.min(4, availableParallelism()) },
    () => ({
      proc: null,
      busy: false,
      ready: false,
      onReady: null,
      buffer: '',
      stderr: '',
    }),
  );
  const queue: Pending[] = [];
  let nextId = 0;
  let closed = false;

  // The cap is set by the child on itself before the worker starts (resource is POSIX-only).
  const bootstrap = `import resource\ntry:\n    limit = ${memoryMb} * 1024 * 1024\n    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\nexcept (ValueError, OSError):\n    pass\n${PYTHON_WORKER_SOURCE}`;

  const spawnWorker = (slot: Slot): ChildProcess => {
    const proc = spawn(python, ['-u', '-c', bootstrap], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
    });
    slot.buffer = '';
    slot.stderr = '';
    slot.ready = false;
    slot.onReady = null;
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      slot.stderr = (slot.stderr + chunk).slice(-2000);
    });
    // A write to a process that died is reported by its exit, not here.
    proc.stdin?.on('error', () => undefined);
    proc.unref();
    (proc.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    return proc;
  };

  const run = (slot: Slot, job: Pending) => {
    slot.busy = true;
    let proc = slot.proc;
    if (proc === null || proc.exitCode !== null) {
      proc = spawnWorker(slot);
      slot.proc = proc;
    }
    const worker = proc;
    const id = nextId++;
    let line: string;
    try {
      line = `${JSON.stringify({ id, ...job.task })}\n`;
    } catch (err) {
      slot.busy = false;
      job.reject(new Error(`the input cannot be sent to python: ${(err as Error).message}`));
      pump();
      return;
    }
    let settled = false;
    const finish = (replace: boolean, error: Error | null, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.stdout?.off('data', onData);
      worker.off('exit', onExit);
      worker.off('error', onError);
      if (replace) {
        slot.proc = null;
        worker.kill('SIGKILL');
      }
      slot.busy = false;
      if (error) job.reject(error);
      else job.resolve(value);
      pump();
    };
    const onData = (chunk: string) => {
      slot.buffer += chunk;
      for (let nl = slot.buffer.indexOf('\n'); nl !== -1; nl = slot.buffer.indexOf('\n')) {
        const line = slot.buffer.slice(0, nl);
        slot.buffer = slot.buffer.slice(nl + 1);
        let msg: { id?: number; ok?: boolean; result?: unknown; error?: string };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          // The protocol is broken (something wrote to the protocol pipe): replace the process.
          finish(true, new Error(`python answered something that is not JSON: ${line.slice(0, 200)}`));
          return;
        }
        if ((msg as { ready?: unknown }).ready === true) {
          slot.ready = true;
          const begin = slot.onReady;
          slot.onReady = null;
          begin?.();
          continue;
        }
        if (msg.id !== id) continue;
        if (msg.ok) finish(false, null, msg.result);
        else finish(false, new Error(msg.error ?? 'python code failed'));
        return;
      }
    };
    const detail = () => {
      const tail = slot.stderr.trim().split('\n').slice(-3).join(' | ');
      return tail ? `: ${tail}` : '';
    };
    const onExit = (code: number | null, signal: string | null) => {
      const memory = /MemoryError/.test(slot.stderr);
      finish(
        true,
        new Error(
          memory
            ? `python exceeded its ${memoryMb} MB memory limit${detail()}`
            : `python exited with ${code === null ? `signal ${signal}` : `code ${code}`}${detail()}`,
        ),
      );
    };
    const onError = (err: NodeJS.ErrnoException) =>
      finish(
        true,
        new Error(
          err.code === 'ENOENT'
            ? `${python} was not found: install Python 3.9 or newer and put python3 on the PATH.`
            : `python could not be started: ${err.message}`,
        ),
      );
    // Until the process is ready only a generous start-up limit applies: on a loaded machine
    // starting python3 alone may take seconds, which the task's own timeout must not count.
    let timer = setTimeout(
      () => finish(true, new Error(`python did not start within ${STARTUP_TIMEOUT_MS} ms${detail()}`)),
      STARTUP_TIMEOUT_MS,
    );
    const begin = () => {
      if (settled) return;
      clearTimeout(timer);
      timer = setTimeout(() => finish(true, new Error(`python timed out after ${timeoutMs} ms`)), timeoutMs);
      worker.stdin?.write(line);
    };
    worker.stdout?.on('data', onData);
    worker.on('exit', onExit);
    worker.on('error', onError);
    if (slot.ready) begin();
    else slot.onReady = begin;
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
        reject(new Error('the python pool is closed'));
        return;
      }
      queue.push({ task, resolve, reject });
      pump();
    });

  return {
    evaluate: (evaluator, output, context) =>
      submit(
        evaluator.kind === 'inline'
          ? { type: 'assert', code: evaluator.code, output, context }
          : {
              type: 'assert',
              path: evaluator.path,
              ...(evaluator.functionName ? { functionName: evaluator.functionName } : {}),
              output,
              context,
            },
      ),
    callProvider: (target, prompt, providerOptions, context) =>
      submit({ type: 'provider', ...target, prompt, options: providerOptions, context }),
    renderPrompt: (target, context) => submit({ type: 'prompt', ...target, context }),
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('the python pool was closed'));
      for (const slot of slots) {
        slot.proc?.stdin?.end();
        slot.proc?.kill('SIGKILL');
        slot.proc = null;
      }
    },
  };
}
