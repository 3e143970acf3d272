/**
 * The eval runner: walks the matrix prompts × providers × cases × repeats with bounded
 * concurrency and per-provider rate limits, calls each model once (or answers from the cache),
 * grades the output and streams every result to the sinks. Nothing keeps the results: the summary,
 * the baseline comparison and the thresholds are accumulated as results pass.
 *
 * Over 500 lines because it is one pipeline (schedule → call or cache → grade → sink) whose
 * concurrency and cancellation are easier to check in one file; the sinks, cache and rate limiter
 * already live beside it.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { assertInputs, checkOutput } from '../contract/check.ts';
import { AppError, isAppError } from '../errors.ts';
import {
  combineOutcomes,
  gradeOutput,
  judgeTemplateFor,
  parseAssertionType,
  parseJudgeAnswer,
} from '../eval/assertions.ts';
import {
  type BaselineEntry,
  type ComparisonSummary,
  createBaselineComparator,
  evaluateThresholds,
  type ThresholdVerdict,
} from '../eval/compare.ts';
import { type JudgeOverrides, judgeResponseFormat, renderJudgeMessages } from '../eval/judge-prompts.ts';
import { renderVars, renderVarsDeep } from '../eval/render-vars.ts';
import type { EvalCase, EvalPrompt, EvalProvider, EvalSuite } from '../eval/suite.ts';
import { createSummaryAccumulator, type EvalSummary } from '../eval/summary.ts';
import type { AssertionOutcome, EvalResult, GradingEnv, GradingInput, JudgeCall } from '../eval/types.ts';
import { createProvider as coreCreateProvider } from '../providers/index.ts';
import { redactSecrets, secretsOf } from '../providers/redact.ts';
import type { HttpTransport, Provider, ProviderMessage, ProviderSettings } from '../providers/types.ts';
import { renderContent } from '../template/content.ts';
import { type CachedResponse, type ResponseCache, responseCacheKey } from './cache.ts';
import { type CodeRunner, createCodeRunner } from './code-runner.ts';
import { createJsonSchemaValidator, createSchemaIssueFinder } from './json-schema.ts';
import { resolveProviderSpec } from './provider-spec.ts';
import { pythonPromptOutput, pythonProviderOutcome } from './python-results.ts';
import { createPythonRunner, type PythonRunner } from './python-runner.ts';

/** Receives results as they are graded (a file writer, a server upload, a progress bar…). */
export interface EvalSink {
  onResult(result: EvalResult): void | Promise<void>;
  /** Called once after the last result, with the run's outcome. */
  close?(outcome: RunOutcome): void | Promise<void>;
}

/** Progress of a run, reported after every result. */
export interface EvalProgress {
  done: number;
  total: number;
  passed: number;
  failed: number;
  errors: number;
  costUsd: number;
}

export interface RunEvalOptions {
  sinks?: EvalSink[];
  /** Builds provider clients (default: core's `createProvider`). */
  createProvider?: (settings: ProviderSettings) => Provider;
  /** How provider clients send requests (default `fetch`; see createNodeTransport). */
  transport?: HttpTransport;
  /** Response cache; null or absent disables it. */
  cache?: ResponseCache | null;
  signal?: AbortSignal;
  /** Baseline results by key, for regressions and fixes. */
  baseline?: ReadonlyMap<string, BaselineEntry>;
  /** Environment for judge/embedding provider specs (API keys); nothing here reads process.env. */
  env?: Record<string, string | undefined>;
  /** Sandbox for javascript assertions and http transforms (default: a pool created for the run). */
  codeRunner?: CodeRunner;
  /** python3 processes for python assertions, providers and prompt functions (default: started on first use). */
  pythonRunner?: PythonRunner;
  /** Whole-call timeout of each model call. */
  callTimeoutMs?: number;
  /** Judge prompts replacing the built-in ones for this run (an assertion's `rubricPrompt` still wins). */
  judgePrompts?: JudgeOverrides;
  onProgress?(progress: EvalProgress): void;
}

/** What a run ends with. */
export interface RunOutcome {
  summary: EvalSummary;
  comparison: ComparisonSummary | null;
  thresholds: ThresholdVerdict;
  cancelled: boolean;
  durationMs: number;
}

/** Default judge for model-graded assertions when neither the assertion nor the suite names one. */
export const DEFAULT_GRADER = 'openai:chat:gpt-4.1-mini';
/** Default embedding model of `similar`. */
export const DEFAULT_EMBEDDER = 'openai:embedding:text-embedding-3-large';

interface Cell {
  caseIndex: number;
  repeatIndex: number;
  testCase: EvalCase;
  caseKey: string;
  prompt: EvalPrompt;
  provider: EvalProvider;
}

interface CallOutcome extends CachedResponse {
  cached: boolean;
}

function createRateLimiter(requestsPerSecond: number) {
  const spacing = 1000 / requestsPerSecond;
  let next = 0;
  return async (signal?: AbortSignal) => {
    const now = performance.now();
    const at = Math.max(now, next);
    next = at + spacing;
    if (at > now) await sleep(at - now, undefined, signal ? { signal } : undefined);
  };
}

const CHAT_ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** A rendered text prompt that is a JSON list of messages is sent as chat (promptfoo's convention). */
function asChat(text: string): ProviderMessage[] | null {
  const start = text.trimStart();
  if (!start.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(start);
    if (
      Array.isArray(parsed) &&
      parsed.length > 0 &&
      parsed.every(
        (m) =>
          m &&
          typeof m === 'object' &&
          CHAT_ROLES.has((m as { role?: unknown }).role as string) &&
          typeof (m as { content?: unknown }).content === 'string',
      )
    ) {
      return parsed as ProviderMessage[];
    }
  } catch {
    // Not JSON: the caller treats the prompt as plain text.
    return null;
  }
  return null;
}

function renderPrompt(
  prompt: EvalPrompt,
  vars: Record<string, unknown>,
): { text: string; messages: ProviderMessage[] } {
  if (prompt.content.type === 'registry') {
    const partials = prompt.content.partials;
    const rendered = renderContent(prompt.content.content, vars, {
      strict: true,
      partials: (n) => (Object.hasOwn(partials, n) ? partials[n] : undefined),
    });
    if (rendered.type === 'text')
      return { text: rendered.text, messages: [{ role: 'user', content: rendered.text }] };
    const messages = rendered.messages.map((m) => ({
      ...m,
      role: (CHAT_ROLES.has(m.role) ? m.role : 'user') as ProviderMessage['role'],
    }));
    return { text: JSON.stringify(messages), messages };
  }
  if (prompt.content.type === 'python') {
    throw new AppError(
      'INTERNAL',
      `Prompt ${prompt.id} is a Python function: render it with renderPythonPrompt.`,
    );
  }
  if (prompt.content.type === 'text') {
    const text = renderVars(prompt.content.template, vars);
    return { text, messages: asChat(text) ?? [{ role: 'user', content: text }] };
  }
  const messages = prompt.content.messages.map((m) => ({
    role: m.role,
    content: renderVars(m.content, vars),
  }));
  return { text: JSON.stringify(messages), messages };
}

/** Renders a Python prompt function's answer for one case (see python-results.ts). */
async function renderPythonPrompt(
  content: Extract<EvalPrompt['content'], { type: 'python' }>,
  vars: Record<string, unknown>,
  provider: EvalProvider,
  run: PythonRunner,
): Promise<{ text: string; messages: ProviderMessage[] }> {
  const answer = await run.renderPrompt(
    { path: content.path, ...(content.functionName ? { functionName: content.functionName } : {}) },
    { vars, provider: { id: provider.id, label: provider.label } },
  );
  const text = pythonPromptOutput(answer, content.functionName ?? content.path);
  return { text, messages: asChat(text) ?? [{ role: 'user', content: text }] };
}

/** Stable key of a case across runs (reordering cases does not break the baseline). */
export function caseKeyOf(testCase: EvalCase, seen: Map<string, number>): string {
  const base = createHash('sha256')
    .update(JSON.stringify([testCase.description, testCase.vars]))
    .digest('hex')
    .slice(0, 16);
  const n = seen.get(base) ?? 0;
  seen.set(base, n + 1);
  // Identical cases keep distinct keys by their occurrence number.
  return n === 0 ? base : `${base}-${n}`;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function hasSelectBest(testCase: EvalCase): boolean {
  return testCase.assert.some((a) => parseAssertionType(a.type).base === 'select-best');
}

const SelectBestAnswer = z.object({ best: z.number().int().min(0), reason: z.string() });

const MODEL_GRADED = new Set(['llm-rubric', 'factuality', 'answer-relevance', 'similar', 'select-best']);

/**
 * Runs a suite. Results go to `options.sinks` as they are graded; the returned outcome holds only
 * the summary, the baseline comparison and the threshold verdict.
 *
 * @throws AppError CONFIG_INVALID / PROVIDER_NOT_CONFIGURED before the first call when the suite cannot run.
 * @example
 * const outcome = await runEval(suite, { sinks: [createJsonlSink('results.jsonl')], cache: createDiskCache('.cache') });
 */
export async function runEval(suite: EvalSuite, options: RunEvalOptions = {}): Promise<RunOutcome> {
  const started = performance.now();
  const sinks = options.sinks ?? [];
  const signal = options.signal;
  const cache = options.cache ?? null;
  const create = options.createProvider ?? coreCreateProvider;
  const transport = options.transport;
  const createProvider = transport
    ? (settings: ProviderSettings) => create({ transport, ...settings })
    : create;
  const env = options.env ?? {};
  // Summary rows in the suite's order (prompts × providers), not in the order cells finish.
  const summary = createSummaryAccumulator(
    suite.prompts.flatMap((prompt) =>
      suite.providers.map((provider) => ({ promptId: prompt.id, providerId: provider.id })),
    ),
  );
  const comparator = options.baseline ? createBaselineComparator(options.baseline) : null;
  const ownCodeRunner = options.codeRunner ? null : createCodeRunner();
  const codeRunner = options.codeRunner ?? (ownCodeRunner as CodeRunner);
  // Started only when the suite has Python in it: most runs never spawn python3.
  const own: { python?: PythonRunner } = {};
  const python = (): PythonRunner => {
    if (options.pythonRunner) return options.pythonRunner;
    own.python ??= createPythonRunner();
    return own.python;
  };
  const validateJsonSchema = createJsonSchemaValidator();
  const findIssues = createSchemaIssueFinder();

  const clients = new Map<EvalProvider, Provider>();
  const limiters = new Map<EvalProvider, (signal?: AbortSignal) => Promise<void>>();
  for (const p of suite.providers) {
    if (p.target.kind === 'provider') clients.set(p, createProvider(p.target.settings));
    if (p.rateLimit) limiters.set(p, createRateLimiter(p.rateLimit.requestsPerSecond));
  }
  const auxiliary = new Map<string, { provider: EvalProvider; client: Provider | null }>();
  const resolveAux = (spec: unknown) => {
    const key = JSON.stringify(spec);
    let entry = auxiliary.get(key);
    if (!entry) {
      const provider = resolveProviderSpec(spec, { env }, 'grader provider');
      entry = {
        provider,
        client: provider.target.kind === 'provider' ? createProvider(provider.target.settings) : null,
      };
      auxiliary.set(key, entry);
    }
    return entry;
  };

  const callModel = async (
    provider: EvalProvider,
    client: Provider | null,
    rendered: { text: string; messages: ProviderMessage[] },
    vars: Record<string, unknown>,
    useCache: boolean,
  ): Promise<CallOutcome> => {
    const target = provider.target;
    let key: string | null = null;
    // Python providers are not cached: their file may change between runs without their id changing.
    if (cache && useCache && target.kind !== 'echo' && target.kind !== 'python') {
      key = responseCacheKey({
        provider:
          target.kind === 'provider'
            ? { kind: target.settings.kind, baseUrl: target.settings.baseUrl ?? null }
            : {
                url: target.url,
                method: target.method,
                body: target.body,
                transform: target.transformResponse,
              },
        model: target.kind === 'provider' ? target.model : 'http',
        parameters: {
          parameters: provider.parameters,
          responseFormat: provider.responseFormat ?? null,
          tools: provider.tools ?? null,
        },
        input: target.kind === 'http' ? { prompt: rendered.text, vars } : rendered.messages,
      });
      const hit = await cache.get(key);
      if (hit) return { ...hit, cached: true };
    }
    await limiters.get(provider)?.(signal);
    let outcome: CachedResponse;
    if (target.kind === 'python') {
      const t0 = performance.now();
      const answer = await python().callProvider(
        { path: target.path, ...(target.functionName ? { functionName: target.functionName } : {}) },
        rendered.text,
        { id: provider.id, config: target.config },
        { vars },
      );
      outcome = pythonProviderOutcome(answer, provider.id, performance.now() - t0);
    } else if (target.kind === 'echo') {
      outcome = {
        text: rendered.text,
        toolCalls: [],
        finishReason: 'stop',
        usage: null,
        costUsd: 0,
        latencyMs: 0,
      };
    } else if (target.kind === 'http') {
      const t0 = performance.now();
      const body = renderVarsDeep(target.body, { ...vars, prompt: rendered.text });
      const response = await fetch(renderVars(target.url, vars), {
        method: target.method,
        headers: { 'content-type': 'application/json', ...target.headers },
        ...(target.method === 'GET' || target.method === 'HEAD'
          ? {}
          : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
      const text = await response.text();
      if (!response.ok) {
        // The headers (an Authorization, a key) may be echoed back: never show them.
        const secrets = secretsOf({ headers: target.headers, baseUrl: target.url });
        throw new AppError(
          'PROVIDER_ERROR',
          redactSecrets(`HTTP provider answered ${response.status}: ${text.slice(0, 200)}`, secrets),
        );
      }
      let json: unknown = null;
      try {
        json = JSON.parse(text);
      } catch {
        // A non-JSON answer is kept as text; transforms receive null for its JSON.
        json = null;
      }
      let output: unknown = text;
      if (target.transformResponse) output = await codeRunner.transform(target.transformResponse, json, text);
      outcome = {
        text: typeof output === 'string' ? output : JSON.stringify(output),
        toolCalls: [],
        finishReason: null,
        usage: null,
        costUsd: null,
        latencyMs: performance.now() - t0,
      };
    } else {
      if (!client) throw new AppError('INTERNAL', `No client for provider ${provider.id}`);
      // The run's signal goes to the client, so cancelling a run aborts its calls in flight.
      const result = await client.complete({
        model: target.model,
        messages: rendered.messages,
        parameters: provider.parameters,
        ...(provider.responseFormat !== undefined ? { responseFormat: provider.responseFormat } : {}),
        ...(provider.tools !== undefined ? { tools: provider.tools } : {}),
        ...(options.callTimeoutMs ? { timeoutMs: options.callTimeoutMs } : {}),
        ...(signal ? { signal } : {}),
      });
      outcome = {
        text: result.text,
        toolCalls: result.toolCalls,
        finishReason: result.finishReason,
        usage: result.usage,
        costUsd: result.cost ? result.cost.totalUsd : null,
        latencyMs: result.latencyMs,
      };
    }
    if (cache && key) await cache.set(key, outcome);
    return { ...outcome, cached: false };
  };

  const baseEnv: GradingEnv = {
    validateJsonSchema,
    runCode: (evaluator, output, context) => codeRunner.evaluate(evaluator, output, context),
    runPython: (evaluator, output, context) => python().evaluate(evaluator, output, context),
    ...(signal ? { signal } : {}),
    ...(options.judgePrompts ? { judgePrompts: options.judgePrompts } : {}),
  };

  const judgeFor =
    (testCase: EvalCase) =>
    async (call: JudgeCall): Promise<string> => {
      const { provider, client } = resolveAux(
        call.provider ?? testCase.provider ?? suite.grader ?? DEFAULT_GRADER,
      );
      const judged = await callModel(
        {
          ...provider,
          parameters: { temperature: 0, ...provider.parameters },
          ...(provider.responseFormat === undefined && call.responseFormat !== undefined
            ? { responseFormat: call.responseFormat }
            : {}),
        },
        client,
        { text: JSON.stringify(call.messages), messages: call.messages },
        {},
        true,
      );
      return judged.text;
    };

  const embedFor = (testCase: EvalCase) => async (spec: unknown, texts: string[]) => {
    const { provider, client } = resolveAux(spec ?? testCase.provider ?? suite.embedder ?? DEFAULT_EMBEDDER);
    if (!client?.embed || provider.target.kind !== 'provider') {
      throw new AppError(
        'CONFIG_INVALID',
        `Provider "${provider.id}" cannot compute embeddings; use an OpenAI embedding model.`,
      );
    }
    return client.embed(texts, { model: provider.target.model, ...(signal ? { signal } : {}) });
  };

  let done = 0;
  let passed = 0;
  let failedCount = 0;
  let errors = 0;
  let costUsd = 0;
  const total = suite.cases.length * suite.repeat * suite.prompts.length * suite.providers.length;

  const emit = async (result: EvalResult) => {
    summary.add(result);
    comparator?.add(result);
    done++;
    if (result.pass) passed++;
    else failedCount++;
    if (result.error !== null) errors++;
    costUsd += result.costUsd ?? 0;
    for (const sink of sinks) await sink.onResult(result);
    options.onProgress?.({ done, total, passed, failed: failedCount, errors, costUsd });
  };

  const evaluateCell = async (cell: Cell): Promise<EvalResult> => {
    const { testCase, prompt, provider } = cell;
    const base = {
      key: `${prompt.id}|${provider.id}|${cell.caseKey}|${cell.repeatIndex}`,
      promptId: prompt.id,
      promptLabel: prompt.label,
      providerId: provider.id,
      providerLabel: provider.label,
      caseIndex: cell.caseIndex,
      repeatIndex: cell.repeatIndex,
      description: testCase.description,
      vars: testCase.vars,
      ...(prompt.registry ? { registry: prompt.registry } : {}),
      ...(testCase.item ? { item: testCase.item } : {}),
      ...(testCase.metadata ? { metadata: testCase.metadata } : {}),
    };
    let rendered: { text: string; messages: ProviderMessage[] } = { text: '', messages: [] };
    let call: CallOutcome;
    try {
      assertInputs(prompt.label, prompt.input, testCase.vars, findIssues);
      rendered =
        prompt.content.type === 'python'
          ? await renderPythonPrompt(prompt.content, testCase.vars, provider, python())
          : renderPrompt(prompt, testCase.vars);
      // Repeats exist to sample the model again: only the first one may come from the cache.
      call = await callModel(
        provider,
        clients.get(provider) ?? null,
        rendered,
        testCase.vars,
        cell.repeatIndex === 0,
      );
    } catch (err) {
      if (signal?.aborted) throw err;
      const message = errorMessage(err);
      return {
        ...base,
        prompt: rendered.text,
        output: '',
        toolCalls: [],
        error: message,
        pass: false,
        score: 0,
        reason: isAppError(err) && err.code === 'INPUT_INVALID' ? message : `Model call failed: ${message}`,
        assertions: [],
        namedScores: {},
        latencyMs: 0,
        usage: null,
        costUsd: null,
        cached: false,
      };
    }
    const input: GradingInput = {
      output: call.text,
      toolCalls: call.toolCalls,
      finishReason: call.finishReason,
      latencyMs: call.latencyMs,
      costUsd: call.costUsd,
      cached: call.cached,
      prompt: rendered.text,
      vars: testCase.vars,
      tools: provider.tools ?? [],
    };
    const needsModel = testCase.assert.some((a) => MODEL_GRADED.has(parseAssertionType(a.type).base));
    const env: GradingEnv = needsModel
      ? { ...baseEnv, judge: judgeFor(testCase), embed: embedFor(testCase) }
      : baseEnv;
    let grading = await gradeOutput(
      testCase.assert,
      input,
      testCase.threshold !== undefined ? { threshold: testCase.threshold } : {},
      env,
    );
    if (prompt.output) {
      // The version's output contract is an assertion of every case, whatever the config lists.
      const verdict = checkOutput(prompt.output, call.text, findIssues);
      grading = combineOutcomes(
        [
          ...grading.assertions,
          {
            type: 'output-contract',
            pass: verdict.pass,
            score: verdict.pass ? 1 : 0,
            reason: verdict.reason,
            weight: 1,
          },
        ],
        testCase.threshold,
      );
    }
    return {
      ...base,
      prompt: rendered.text,
      output: call.text,
      toolCalls: call.toolCalls,
      error: null,
      pass: grading.pass,
      score: grading.score,
      reason: grading.reason,
      assertions: grading.assertions,
      namedScores: grading.namedScores,
      latencyMs: call.latencyMs,
      usage: call.usage,
      costUsd: call.costUsd,
      cached: call.cached,
    };
  };

  // select-best compares the outputs of one case across prompts × providers: those cells wait
  // for their siblings (at most one matrix row per in-flight case), then are graded together.
  const width = suite.prompts.length * suite.providers.length;
  const groups = new Map<string, EvalResult[]>();
  const gradeSelectBest = async (testCase: EvalCase, results: EvalResult[]) => {
    const specs = testCase.assert.filter((a) => parseAssertionType(a.type).base === 'select-best');
    const extra: AssertionOutcome[][] = results.map(() => []);
    for (const spec of specs) {
      const inverse = parseAssertionType(spec.type).inverse;
      let best = -1;
      let reason = '';
      try {
        const judge = judgeFor(testCase);
        const criteria = renderVarsDeep(spec.value ?? 'the best answer', testCase.vars);
        const text = await judge({
          provider: spec.provider,
          responseFormat: judgeResponseFormat('select-best', { maxIndex: results.length - 1 }),
          messages: renderJudgeMessages(judgeTemplateFor('select-best', spec, baseEnv), {
            criteria: typeof criteria === 'string' ? criteria : JSON.stringify(criteria),
            outputs: results.map((r, i) => `<Output index="${i}">\n${r.output}\n</Output>`).join('\n'),
          }),
        });
        const answer = parseJudgeAnswer(text, SelectBestAnswer);
        best = answer.best;
        reason = answer.reason;
      } catch (err) {
        reason = `Error in "select-best": ${errorMessage(err)}`;
      }
      results.forEach((_r, i) => {
        const won = i === best;
        const pass = best >= 0 && won !== inverse;
        const outcome: AssertionOutcome = {
          type: spec.type,
          pass,
          score: pass ? 1 : 0,
          reason:
            best < 0
              ? reason
              : won
                ? `Selected as best: ${reason}`
                : `Output ${best} was selected: ${reason}`,
          weight: spec.weight ?? 1,
        };
        if (spec.metric !== undefined) outcome.metric = spec.metric;
        extra[i]?.push(outcome);
      });
    }
    return results.map((r, i) => {
      if (r.error !== null) return r;
      const combined = combineOutcomes([...r.assertions, ...(extra[i] ?? [])], testCase.threshold);
      return { ...r, ...combined };
    });
  };

  function* cells(): Generator<Cell> {
    const seen = new Map<string, number>();
    for (let caseIndex = 0; caseIndex < suite.cases.length; caseIndex++) {
      const testCase = suite.cases[caseIndex];
      if (!testCase) continue;
      const caseKey = caseKeyOf(testCase, seen);
      for (let repeatIndex = 0; repeatIndex < suite.repeat; repeatIndex++) {
        for (const prompt of suite.prompts) {
          for (const provider of suite.providers)
            yield { caseIndex, repeatIndex, testCase, caseKey, prompt, provider };
        }
      }
    }
  }

  const iterator = cells();
  let cancelled = false;
  const worker = async () => {
    for (;;) {
      if (signal?.aborted) {
        cancelled = true;
        return;
      }
      const next = iterator.next();
      if (next.done) return;
      const cell = next.value;
      let result: EvalResult;
      try {
        result = await evaluateCell(cell);
      } catch (err) {
        if (signal?.aborted) {
          cancelled = true;
          return;
        }
        throw err;
      }
      if (hasSelectBest(cell.testCase)) {
        const gkey = `${cell.caseIndex}|${cell.repeatIndex}`;
        const list = groups.get(gkey) ?? [];
        list.push(result);
        groups.set(gkey, list);
        if (list.length < width) continue;
        groups.delete(gkey);
        // Judge and emit in matrix order, so output indexes are stable whatever finished first.
        const order = (r: EvalResult) =>
          suite.prompts.findIndex((p) => p.id === r.promptId) * suite.providers.length +
          suite.providers.findIndex((p) => p.id === r.providerId);
        list.sort((a, b) => order(a) - order(b));
        for (const graded of await gradeSelectBest(cell.testCase, list)) await emit(graded);
      } else {
        await emit(result);
      }
    }
  };

  try {
    const concurrency = Math.max(1, Math.min(suite.maxConcurrency, total || 1));
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
  } finally {
    await ownCodeRunner?.close();
    await own.python?.close();
  }
  const finalSummary = summary.summary();
  const comparison = comparator ? comparator.summary() : null;
  const outcome: RunOutcome = {
    summary: finalSummary,
    comparison,
    thresholds: evaluateThresholds(finalSummary, suite.thresholds, comparison ?? undefined),
    cancelled,
    durationMs: performance.now() - started,
  };
  for (const sink of sinks) await sink.close?.(outcome);
  return outcome;
}
