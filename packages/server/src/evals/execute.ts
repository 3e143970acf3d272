/**
 * Turns a stored run into core's eval suite and runs it with core's runner, streaming results into
 * the database in batches. Registry prompts are Mustache templates with partials, which the
 * runner's promptfoo-style `{{var}}` substitution does not speak: each case carries the prompt
 * already rendered by the registry's engine (one text per version), and the suite's prompt for
 * version n is just `{{__promptline.vn}}`.
 */
import {
  AppError,
  collectPartials,
  createProvider,
  type DatasetItem,
  type ProviderSettings,
  renderContent,
  type Version,
} from '@promptline/core';
import type {
  AssertionSpec,
  EvalCase,
  EvalResult,
  EvalSink,
  EvalSuite,
  RunOutcome,
} from '@promptline/core/node';
import { runEval } from '@promptline/core/node';
import type { NewResult, RunSpec } from './store.ts';

/** Key of the rendered prompts inside a case's vars (stripped before results are stored). */
export const RENDERED_KEY = '__promptline';
/** Marks a case whose prompt could not be rendered: the provider wrapper fails that call with it. */
const RENDER_ERROR = '\u0000promptline-render-error:';

/** How a model of a run is reached: settings for core's `createProvider`. */
export type ProviderResolver = (
  projectId: number,
  provider: string,
  baseUrl: string | null,
) => Promise<ProviderSettings>;

/** Default resolution: `mock`, or any OpenAI-compatible endpoint named by `baseUrl` in the request. */
export const defaultProviderResolver: ProviderResolver = async (_projectId, provider, baseUrl) => {
  if (provider === 'mock') return { kind: 'mock', mockDelayMs: 0 };
  if (baseUrl) return { kind: 'openai-compatible', baseUrl };
  throw new AppError(
    'PROVIDER_NOT_CONFIGURED',
    `Provider "${provider}" has no stored credentials on this server. Use "mock", or give the model a "baseUrl" of an OpenAI-compatible server.`,
    { details: { provider } },
  );
};

/** The assertions an item's `expected` adds to its case: a string is `equals`, objects are specs. */
export function expectedAssertions(expected: unknown): AssertionSpec[] {
  if (expected === null || expected === undefined) return [];
  if (typeof expected === 'string') return [{ type: 'equals', value: expected }];
  const list = Array.isArray(expected) ? expected : [expected];
  return list.map((spec, i) => {
    if (!spec || typeof spec !== 'object' || typeof (spec as { type?: unknown }).type !== 'string') {
      throw new AppError(
        'VALIDATION_FAILED',
        `An item's "expected" must be a string or an assertion like {"type": "contains", "value": "…"} (entry ${i}).`,
      );
    }
    return spec as AssertionSpec;
  });
}

/** Renders one version for one item the way the registry does (strict, partials from latest versions). */
function renderFor(
  version: Version,
  partials: Map<string, string>,
  variables: Record<string, unknown>,
): string {
  try {
    const content =
      version.type === 'text'
        ? { type: 'text' as const, template: version.template }
        : { type: 'chat' as const, messages: version.messages };
    const rendered = renderContent(content, variables, { partials: (n) => partials.get(n) });
    return rendered.type === 'text' ? rendered.text : JSON.stringify(rendered.messages);
  } catch (error) {
    return `${RENDER_ERROR}${(error as Error).message}`;
  }
}

export interface ExecuteInput {
  prompt: string;
  spec: RunSpec;
  versions: Version[];
  /** Loads a partial's template text (the latest version of that prompt). */
  loadPartial(name: string): Promise<string | undefined>;
  items: AsyncIterable<DatasetItem>;
  resolveProvider: (provider: string, baseUrl: string | null) => Promise<ProviderSettings>;
  signal: AbortSignal;
  /** Receives every batch of result rows (in order) with the progress so far. */
  onBatch(rows: NewResult[]): Promise<void>;
}

/** Rows written per batch, and the longest a result waits before it is written. */
const BATCH_ROWS = 100;
const BATCH_MS = 250;

/**
 * Runs the matrix versions × models × items × repeats. Results go to `onBatch` as they come.
 *
 * @throws AppError PROVIDER_NOT_CONFIGURED / CONFIG_INVALID before the first call.
 */
export async function executeRun(input: ExecuteInput): Promise<RunOutcome> {
  const { spec } = input;
  const partials = new Map<string, Map<string, string>>();
  for (const version of input.versions) {
    const content =
      version.type === 'text'
        ? { type: 'text' as const, template: version.template }
        : { type: 'chat' as const, messages: version.messages };
    partials.set(String(version.number), await collectPartials(content, input.loadPartial));
  }

  const itemIds: number[] = [];
  const cases: EvalCase[] = [];
  for await (const item of input.items) {
    const rendered: Record<string, string> = {};
    for (const version of input.versions) {
      rendered[`v${version.number}`] = renderFor(
        version,
        partials.get(String(version.number)) ?? new Map(),
        item.variables,
      );
    }
    itemIds.push(item.id);
    cases.push({
      description: null,
      vars: { ...item.variables, [RENDERED_KEY]: rendered },
      assert: [...(spec.assertions as AssertionSpec[]), ...expectedAssertions(item.expected)],
    });
  }

  const settings = new Map<string, ProviderSettings>();
  for (const m of spec.models) settings.set(m.label, await input.resolveProvider(m.provider, m.baseUrl));

  const suite: EvalSuite = {
    description: input.prompt,
    prompts: input.versions.map((v) => ({
      id: `v${v.number}`,
      label: `${input.prompt}@v${v.number}`,
      content: { type: 'text', template: `{{${RENDERED_KEY}.v${v.number}}}` },
    })),
    providers: spec.models.map((m) => ({
      id: m.label,
      label: m.label,
      target: { kind: 'provider', settings: settings.get(m.label) ?? { kind: 'mock' }, model: m.model },
      parameters: m.parameters,
    })),
    cases,
    repeat: spec.repeat,
    maxConcurrency: spec.concurrency,
  };

  let batch: NewResult[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (batch.length === 0) return writing;
    const rows = batch;
    batch = [];
    // Batches are written one after another, in the order results arrived.
    writing = writing.then(() => input.onBatch(rows));
    return writing;
  };
  const sink: EvalSink = {
    async onResult(r: EvalResult) {
      batch.push(toRow(r, itemIds));
      if (batch.length >= BATCH_ROWS) await flush();
      // A failed write stays in `writing` and rejects the next flush or close(), which fail the run.
      else timer ??= setTimeout(() => void flush().catch(() => undefined), BATCH_MS);
    },
    async close() {
      await flush();
    },
  };

  return runEval(suite, {
    sinks: [sink],
    cache: null,
    signal: input.signal,
    env: {},
    createProvider: (s) => withRenderErrors(createProvider(s)),
  }).finally(async () => {
    // A run that threw still stores what it graded.
    await flush();
  });
}

function withRenderErrors(provider: ReturnType<typeof createProvider>): ReturnType<typeof createProvider> {
  const check = (messages: { content: string }[]) => {
    const text = messages.at(-1)?.content ?? '';
    if (text.startsWith(RENDER_ERROR)) {
      throw new AppError(
        'TEMPLATE_VARIABLE_MISSING',
        `The prompt could not be rendered for this item: ${text.slice(RENDER_ERROR.length)}`,
      );
    }
  };
  return {
    id: provider.id,
    complete: async (request) => {
      check(request.messages);
      return provider.complete(request);
    },
    stream: (request) => {
      check(request.messages);
      return provider.stream(request);
    },
    ...(provider.embed ? { embed: provider.embed.bind(provider) } : {}),
  };
}

function toRow(r: EvalResult, itemIds: number[]): NewResult {
  const { [RENDERED_KEY]: _rendered, ...vars } = r.vars;
  const version = Number(r.promptId.slice(1));
  const itemId = itemIds[r.caseIndex] ?? null;
  return resultRow(r, {
    runId: 0,
    itemId,
    version: Number.isInteger(version) ? version : null,
    caseKey: `${itemId ?? r.caseIndex}|${r.providerId}|${r.repeatIndex}`,
    vars,
  });
}

/** The stored row of one result, from a server run or an uploaded one; the caller names the case. */
export function resultRow(
  r: EvalResult,
  at: { runId: number; itemId: number | null; version: number | null; caseKey: string; vars: unknown },
): NewResult {
  return {
    run_id: at.runId,
    case_index: r.caseIndex,
    item_id: at.itemId,
    repeat_index: r.repeatIndex,
    version: at.version,
    prompt_label: r.promptLabel,
    model: r.providerId,
    case_key: at.caseKey,
    description: r.description,
    vars: JSON.stringify(at.vars),
    output: r.output,
    error: r.error,
    pass: r.pass ? 1 : 0,
    score: Number.isFinite(r.score) ? r.score : 0,
    reason: r.reason,
    latency_ms: r.latencyMs,
    input_tokens: r.usage?.inputTokens ?? null,
    output_tokens: r.usage?.outputTokens ?? null,
    cost_usd: r.costUsd,
    cached: r.cached ? 1 : 0,
    assertions: JSON.stringify(
      r.assertions.map((a) => ({ type: a.type, pass: a.pass, score: a.score, reason: a.reason })),
    ),
  };
}

export { BATCH_MS, BATCH_ROWS };
