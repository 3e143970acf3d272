import {
  AppError,
  assertInputs,
  checkOutput,
  collectPartials,
  createProvider,
  isAppError,
  type ModelConfig,
  type OutputContract,
  type PlaygroundCellError,
  type PlaygroundMatrix,
  type PlaygroundResult,
  type PlaygroundRunRequest,
  type Provider,
  type ProviderMessage,
  type RenderedMessage,
  renderContent,
} from '@promptline/core';
import { createSchemaIssueFinder } from '@promptline/core/node';
import type { PromptService } from '../prompts/service.ts';
import type { ProviderService } from '../providers/service.ts';
import type { ResolutionService } from '../resolution/service.ts';

type Rendered = { type: 'text'; text: string } | { type: 'chat'; messages: RenderedMessage[] };

/** What a run needs once its input was checked: rendered rows and callable model columns. */
export interface PreparedRun {
  rows: Array<{ messages: ProviderMessage[] } | { error: { code: string; detail: string } }>;
  columns: Array<{
    provider: string;
    model: string;
    client: Provider | { error: { code: string; detail: string } };
    parameters: Record<string, unknown>;
    responseFormat: unknown;
    tools: unknown[] | undefined;
  }>;
  /** The output contract of what runs (the version's or the draft's `config.output`): each completion is checked. */
  contract: OutputContract | undefined;
}

/** Where a run reports, cell by cell, as it goes. */
export interface RunSink {
  delta(model: number, row: number, text: string): void;
  done(result: PlaygroundResult): void;
  error(error: PlaygroundCellError): void;
}

/** The variant a split release shows in the playground: stable across the rows of a batch. */
const PLAYGROUND_UNIT = 'playground';

const ROLES = new Set<string>(['system', 'developer', 'user', 'assistant', 'tool']);

function toMessages(rendered: Rendered): ProviderMessage[] {
  if (rendered.type === 'text') return [{ role: 'user', content: rendered.text }];
  return rendered.messages.map((m) => ({
    role: (ROLES.has(m.role) ? m.role : 'user') as ProviderMessage['role'],
    content: m.content,
  }));
}

function cellError(error: unknown): { code: string; detail: string } {
  if (isAppError(error)) return { code: error.code, detail: error.message };
  return {
    code: 'PROVIDER_ERROR',
    detail: 'The call failed unexpectedly. Retry; if it persists, check the server log.',
  };
}

function invalid(path: string, message: string): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `The playground run is invalid: ${path}: ${message}. Fix it and retry.`,
    {
      errors: [{ path, message }],
    },
  );
}

/** Errors that belong to one row of variables (a batch goes on without it), not to the request. */
function isRowError(error: unknown): boolean {
  return isAppError(error) && (error.code === 'TEMPLATE_VARIABLE_MISSING' || error.code === 'INPUT_INVALID');
}

/**
 * The playground: renders a draft or a stored prompt with one or many variable sets and streams
 * each model's answer side by side, with usage, cost and timings. Models run concurrently (at most
 * 4, the request's limit), the rows of a batch in order within each model.
 */
export function createPlaygroundService({
  providers,
  resolution,
  prompts,
  mockDelayMs,
}: {
  providers: ProviderService;
  resolution: ResolutionService;
  prompts: PromptService;
  /** Word delay of the mock provider (tests make it 0). */
  mockDelayMs?: number | undefined;
}) {
  const findIssues = createSchemaIssueFinder();

  /** A completion against the contract; a contract that cannot be applied is reported, not thrown. */
  function verdict(contract: OutputContract, text: string): { pass: boolean; reason: string } {
    try {
      return checkOutput(contract, text, findIssues);
    } catch (error) {
      return { pass: false, reason: `the contract could not be checked: ${(error as Error).message}` };
    }
  }

  /** Renders every row; whole-request problems (unknown prompt, bad template…) throw. */
  async function renderRows(
    projectId: number,
    request: PlaygroundRunRequest,
    rows: Record<string, unknown>[],
  ): Promise<{ rendered: Array<Rendered | { error: unknown }>; config: ModelConfig }> {
    const strict = request.strict;
    const rendered: Array<Rendered | { error: unknown }> = [];
    if (request.draft) {
      const content =
        request.draft.type === 'text'
          ? { type: 'text' as const, template: request.draft.template }
          : { type: 'chat' as const, messages: request.draft.messages };
      // A draft includes the latest version of each partial, like rendering a version on its own.
      const partials = await collectPartials(content, async (name) => {
        const latest = await prompts.latestVersion(projectId, name);
        return latest?.type === 'text' ? latest.template : undefined;
      });
      const input = request.draft.config?.input;
      for (const variables of rows) {
        try {
          // A draft's input schema is checked like a stored version's (the server's render does that).
          if (strict) assertInputs('draft', input, variables, findIssues);
          rendered.push(renderContent(content, variables, { strict, partials: (n) => partials.get(n) }));
        } catch (error) {
          if (!isRowError(error)) throw error;
          rendered.push({ error });
        }
      }
      return { rendered, config: request.draft.config ?? {} };
    }
    const name = request.prompt ?? '';
    let version = request.version;
    if (request.env === undefined && version === undefined) {
      const latest = (await prompts.get(projectId, name)).latestVersion;
      if (latest === null) {
        throw new AppError(
          'VERSION_NOT_FOUND',
          `Prompt "${name}" has no version yet. Save one, or run a draft.`,
        );
      }
      version = latest;
    }
    let config: ModelConfig = {};
    for (const variables of rows) {
      try {
        const result = await resolution.render(projectId, name, {
          ...(request.env === undefined ? { version } : { env: request.env, unit: PLAYGROUND_UNIT }),
          variables,
          strict,
        });
        config = result.config;
        rendered.push(
          result.type === 'text'
            ? { type: 'text', text: result.text ?? '' }
            : { type: 'chat', messages: result.messages ?? [] },
        );
      } catch (error) {
        if (!isRowError(error)) throw error;
        rendered.push({ error });
      }
    }
    return { rendered, config };
  }

  /** Runs every cell, reporting to `sink` as tokens arrive; stops calling providers when `signal` aborts. */
  async function run(prepared: PreparedRun, sink: RunSink, signal: AbortSignal): Promise<void> {
    await Promise.all(
      prepared.columns.map(async (column, model) => {
        for (const [row, input] of prepared.rows.entries()) {
          if (signal.aborted) return;
          if ('error' in column.client) {
            sink.error({ model, row, ...column.client.error });
            continue;
          }
          if ('error' in input) {
            sink.error({ model, row, ...input.error });
            continue;
          }
          try {
            const events = column.client.stream({
              model: column.model,
              messages: input.messages,
              parameters: column.parameters,
              ...(column.responseFormat === undefined ? {} : { responseFormat: column.responseFormat }),
              ...(column.tools === undefined ? {} : { tools: column.tools }),
              signal,
            });
            for await (const event of events) {
              if (event.type === 'delta') sink.delta(model, row, event.text);
              else if (event.type === 'done') {
                const r = event.result;
                sink.done({
                  model,
                  row,
                  text: r.text,
                  toolCalls: r.toolCalls,
                  usage: r.usage,
                  cost: r.cost,
                  latencyMs: Math.round(r.latencyMs * 10) / 10,
                  timeToFirstTokenMs:
                    r.timeToFirstTokenMs === null ? null : Math.round(r.timeToFirstTokenMs * 10) / 10,
                  finishReason: r.finishReason,
                  // Streamed cells are checked once complete: the verdict rides on `done`.
                  ...(prepared.contract === undefined
                    ? {}
                    : { contract: verdict(prepared.contract, r.text) }),
                });
              }
            }
          } catch (error) {
            if (signal.aborted) return;
            // One failing column must not stop the others: it becomes this cell's error.
            sink.error({ model, row, ...cellError(error) });
          }
        }
      }),
    );
  }

  return {
    /**
     * Checks and renders a run before anything streams, so request problems are answered as
     * problem+json. A variable missing in one row of a batch, or a provider without credentials,
     * only fails its cells.
     *
     * @throws AppError VALIDATION_FAILED, PROMPT_NOT_FOUND, VERSION_NOT_FOUND, TEMPLATE_* (single row)…
     */
    async prepare(projectId: number, request: PlaygroundRunRequest): Promise<PreparedRun> {
      if ((request.draft === undefined) === (request.prompt === undefined)) {
        throw invalid('draft', 'give exactly one of "draft" (unsaved content) or "prompt" (a stored prompt)');
      }
      if (request.draft && (request.version !== undefined || request.env !== undefined)) {
        throw invalid(request.version !== undefined ? 'version' : 'env', 'only applies to a stored "prompt"');
      }
      if (request.version !== undefined && request.env !== undefined) {
        throw invalid('env', 'give "version" or "env", not both');
      }
      const batch = Array.isArray(request.variables);
      const rows = (Array.isArray(request.variables) ? request.variables : [request.variables]) as Record<
        string,
        unknown
      >[];
      const { rendered, config } = await renderRows(projectId, request, rows);
      const single = rendered[0];
      if (!batch && single && 'error' in single) throw single.error;

      const prices = await providers.priceBook(projectId);
      const columns: PreparedRun['columns'] = [];
      for (const model of request.models) {
        let client: Provider | { error: { code: string; detail: string } };
        try {
          const settings = await providers.settingsFor(projectId, model.provider, prices);
          client = createProvider(
            settings.kind === 'mock' && mockDelayMs !== undefined ? { ...settings, mockDelayMs } : settings,
          );
        } catch (error) {
          if (!isAppError(error)) throw error;
          client = { error: cellError(error) };
        }
        columns.push({
          provider: model.provider,
          model: model.model,
          client,
          parameters: { ...(config.parameters ?? {}), ...(model.parameters ?? {}) },
          responseFormat: config.responseFormat,
          tools: config.tools,
        });
      }
      return {
        rows: rendered.map((r) =>
          'error' in r ? { error: cellError(r.error) } : { messages: toMessages(r) },
        ),
        columns,
        contract: config.output,
      };
    },

    run,

    /** Runs every cell and answers the whole matrix, `results[row][model]`. */
    async collect(prepared: PreparedRun, signal: AbortSignal): Promise<PlaygroundMatrix> {
      const results: PlaygroundMatrix['results'] = prepared.rows.map(() => []);
      const put = (row: number, model: number, cell: PlaygroundMatrix['results'][number][number]) => {
        const line = results[row];
        if (line) line[model] = cell;
      };
      await run(
        prepared,
        {
          delta() {},
          done: (result) => put(result.row, result.model, { status: 'done', ...result }),
          error: (error) => put(error.row, error.model, { status: 'error', ...error }),
        },
        signal,
      );
      return {
        models: prepared.columns.map((c) => ({ provider: c.provider, model: c.model })),
        rows: prepared.rows.length,
        results,
      };
    },
  };
}

export type PlaygroundService = ReturnType<typeof createPlaygroundService>;
