/**
 * The body of `promptline eval`: arguments → config → run → files, summary and exit code. Runs in
 * the worker thread the command starts (see commands/eval.ts).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
// Not the `@promptline/core` index: it would load all of core (~250 modules) for two names.
import { AppError, isAppError } from '@promptline/core/errors';
import {
  createDiskCache,
  createNodeTransport,
  type EvalResult,
  type EvalSink,
  type JudgeOverrides,
  readBaseline,
  runEval,
} from '@promptline/core/node';
import { type ConfigSources, findConfig, loadEvalConfig } from './config.ts';
import { EVAL_HELP } from './help.ts';
import { createProgressBar, formatSummaryTable } from './report.ts';
import { createResultWriter, OUTPUT_FORMATS } from './writers.ts';

/** What the process around the run provides. */
export interface EvalCliContext {
  cwd: string;
  /** Whether stderr is a terminal (the progress bar is drawn only then). */
  tty: boolean;
  signal: AbortSignal;
  env: Record<string, string | undefined>;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} needs a positive integer, got "${value}".`);
  return n;
}

class UsageError extends Error {}

/**
 * The registry prompt an upload is filed under: the one prompt name every registry reference of
 * the config shares (a run on the server belongs to one prompt), else none.
 */
function linkedPrompt(sources: ConfigSources): string | null {
  const names = new Set(sources.prompts.map((p) => p.name));
  return names.size === 1 ? ([...names][0] ?? null) : null;
}

/**
 * A result as the server files it: the server reads a prompt id `v<N>` as version N of the run's
 * prompt, which links the uploaded run's summary to the versions it evaluated.
 */
function asServerResult(r: EvalResult, prompt: string): EvalResult {
  if (r.registry?.name !== prompt) return r;
  const promptId = `v${r.registry.version}`;
  const key = r.key.startsWith(`${r.promptId}|`) ? `${promptId}${r.key.slice(r.promptId.length)}` : r.key;
  return { ...r, promptId, key };
}

/**
 * A run whose arguments and config are read and checked: how many model calls it will make, and
 * what does them. Preparing may already have answered (`--help`, a usage or config error).
 */
export type PreparedEval = { code: number } | { calls: number; execute(): Promise<number> };

/** Runs `promptline eval` with `argv` and answers the exit code. */
export async function runEvalCli(argv: string[], ctx: EvalCliContext): Promise<number> {
  const prepared = await prepareEvalCli(argv, ctx);
  return 'code' in prepared ? prepared.code : prepared.execute();
}

/** Reports a failure of preparing or running as its exit code (2: the user's to fix). */
function failure(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  if (
    isAppError(err) &&
    (err.code === 'CONFIG_INVALID' || err.code === 'PROVIDER_NOT_CONFIGURED' || err.status < 500)
  ) {
    process.stderr.write(`Configuration error (${err.code}): ${err.message}\n`);
    return 2;
  }
  process.stderr.write(`promptline eval failed: ${(err as Error).stack ?? String(err)}\n`);
  return 1;
}

/**
 * Reads the arguments and the config of `promptline eval` (registry references and judge prompts
 * included) without calling a model; `execute()` runs the suite, writes the files and answers the
 * exit code.
 */
export async function prepareEvalCli(argv: string[], ctx: EvalCliContext): Promise<PreparedEval> {
  let values: ReturnType<typeof parse>['values'];
  function parse(args: string[]) {
    return parseArgs({
      args,
      allowNegative: true,
      options: {
        config: { type: 'string', short: 'c' },
        output: { type: 'string', short: 'o', multiple: true },
        cache: { type: 'boolean', default: true },
        'max-concurrency': { type: 'string' },
        repeat: { type: 'string' },
        baseline: { type: 'string' },
        'promptfoo-exit-codes': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        upload: { type: 'boolean', default: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  }
  try {
    values = parse(argv).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${EVAL_HELP}`);
    return { code: 2 };
  }
  if (values.help) {
    process.stdout.write(EVAL_HELP);
    return { code: 0 };
  }
  try {
    const cwd = ctx.cwd;
    const configPath = values.config ? resolve(cwd, values.config) : findConfig(cwd);
    if (!configPath) {
      throw new UsageError(
        'No eval config found: create promptline.eval.yaml (see docs/evals.md) or pass -c <file>.',
      );
    }
    // With a server configured, registry references resolve against it and judge prompts may be
    // overridden there; without one, a config that needs it is refused by name (exit 2).
    const serverBase = ctx.env.PROMPTLINE_URL || undefined;
    // The server-side modules load only when a server is configured: most runs never need them.
    const server = serverBase ? await import('./registry.ts') : null;
    const registry =
      serverBase && server
        ? server.createRegistryLoader(
            server.createRegistryClient({ url: serverBase, apiKey: ctx.env.PROMPTLINE_API_KEY }),
          )
        : null;
    const loaded = await loadEvalConfig(configPath, ctx.env, { registry });
    const suite = loaded.suite;
    let judgePrompts: JudgeOverrides = {};
    if (registry && server) {
      const judges = await server.resolveJudgePrompts(suite, registry);
      judgePrompts = judges.overrides;
      for (const w of judges.warnings) process.stderr.write(`${w}\n`);
    } else {
      for (const testCase of suite.cases)
        for (const spec of testCase.assert) {
          if (typeof spec.rubricPrompt === 'string' && spec.rubricPrompt.startsWith('registry:'))
            throw new AppError(
              'CONFIG_INVALID',
              `rubricPrompt "${spec.rubricPrompt}" is read from a Promptline server, but PROMPTLINE_URL is not set. Set PROMPTLINE_URL (and PROMPTLINE_API_KEY), or write the prompt in the config.`,
            );
        }
    }
    const maxConcurrency = positiveInt(values['max-concurrency'], '--max-concurrency');
    const repeat = positiveInt(values.repeat, '--repeat');
    if (maxConcurrency) suite.maxConcurrency = maxConcurrency;
    if (repeat) suite.repeat = repeat;
    const outputs = [
      ...(values.output ?? []).map((p) => resolve(cwd, p)),
      ...(values.output ? [] : loaded.outputPaths),
    ];
    for (const out of outputs) {
      if (!OUTPUT_FORMATS.some((ext) => out.toLowerCase().endsWith(ext))) {
        throw new UsageError(`Output "${out}" has an unknown format: use ${OUTPUT_FORMATS.join(', ')}.`);
      }
    }
    const baseline = values.baseline ? await readBaseline(resolve(cwd, values.baseline)) : undefined;
    const calls = suite.cases.length * suite.repeat * suite.prompts.length * suite.providers.length;
    const execute = () => executeEval().catch(failure);
    return { calls, execute };

    async function executeEval(): Promise<number> {
      const sinks: EvalSink[] = outputs.map((p) => createResultWriter(p, suite.description, loaded.sources));
      // With a server configured the run is also stored there; a failed upload is reported but
      // does not change the suite's verdict.
      const serverUrl = values.upload ? ctx.env.PROMPTLINE_URL : undefined;
      const linked = linkedPrompt(loaded.sources);
      const upload = serverUrl
        ? await (await import('./upload.ts')).createUploadSink({
            url: serverUrl,
            apiKey: ctx.env.PROMPTLINE_API_KEY,
            ...(linked ? { prompt: linked } : {}),
          })
        : null;
      let uploadError: unknown = null;
      if (upload) {
        sinks.push({
          onResult: (r) => upload.onResult(linked ? asServerResult(r, linked) : r),
          async close(o) {
            try {
              await upload.close?.(o);
            } catch (err) {
              uploadError = err;
            }
          },
        });
      }
      const tty = ctx.tty && !values.json;
      const bar = tty ? createProgressBar(process.stderr) : null;
      const cacheDir = ctx.env.PROMPTLINE_CACHE_DIR || resolve(cwd, '.promptline', 'cache', 'eval');
      // node:http instead of fetch for the model calls (a fraction of the CPU per call), except when
      // Node's fetch is asked to use the proxy variables, which node:http would not.
      const transport = ctx.env.NODE_USE_ENV_PROXY ? null : createNodeTransport();
      const outcome = await runEval(suite, {
        sinks,
        cache: values.cache ? createDiskCache(cacheDir) : null,
        signal: ctx.signal,
        env: ctx.env,
        ...(transport ? { transport: transport.send } : {}),
        ...(baseline ? { baseline } : {}),
        ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
        ...(Object.keys(judgePrompts).length > 0 ? { judgePrompts } : {}),
      }).finally(() => transport?.close());
      bar?.done();
      if (values.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      else process.stdout.write(formatSummaryTable(outcome));
      for (const out of outputs) process.stderr.write(`Wrote ${out}\n`);
      if (upload?.run) process.stderr.write(`Uploaded to ${serverUrl} as eval run ${upload.run.id}\n`);
      if (uploadError) {
        process.stderr.write(
          `Upload to ${serverUrl} failed: ${(uploadError as Error).message} (pass --no-upload to skip it)\n`,
        );
      }
      if (outcome.cancelled) return 130;
      if (outcome.thresholds.met) return 0;
      return values['promptfoo-exit-codes'] ? 100 : 1;
    }
  } catch (err) {
    return { code: failure(err) };
  }
}
