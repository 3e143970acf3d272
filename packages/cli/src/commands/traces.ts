/** `promptline traces list|show|to-dataset`: recorded traces, one trace's span tree, traces → dataset items. */
import type { TraceSpan, TraceSummary } from '@promptline/core';
import { parsePositiveInt } from '../args.ts';
import { UsageError } from '../errors.ts';
import { defineGroup, type OptionSpec } from '../kit.ts';
import { formatTable, paint } from '../output.ts';
import { parseSince } from './metrics.ts';

const duration = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${ms.toFixed(ms < 10 ? 1 : 0)}ms`;
const usd = (value: number | null) =>
  value === null ? '-' : value === 0 ? '0' : value < 0.01 ? value.toPrecision(2) : value.toFixed(4);
const promptCell = (p: TraceSummary['prompt']) =>
  p === null ? '-' : `${p.name}@${p.version}${p.environment ? ` (${p.environment})` : ''}`;

function spanLine(span: TraceSpan, traceStartMs: number, color: boolean): string {
  const offset = Date.parse(span.startTime) - traceStartMs;
  const details = [
    span.prompt ? `${span.prompt.name}@${span.prompt.version}` : undefined,
    span.model,
    span.usage ? `${span.usage.input}→${span.usage.output} tok` : undefined,
    span.costUsd === null ? undefined : `$${usd(span.costUsd)}`,
    ...span.scores.map((s) => `${s.name}=${String(s.value)}`),
  ].filter((x) => x !== undefined);
  const status = span.status === 'error' ? paint('red', ' ERROR', color) : '';
  const message = span.status === 'error' && span.statusMessage ? ` ${span.statusMessage}` : '';
  return `${'  '.repeat(span.depth)}${span.name}  ${duration(span.durationMs)} (+${duration(offset)})${status}${message}${details.length > 0 ? `  ${details.join(' · ')}` : ''}\n`;
}

const FILTER_KEYS = ['prompt', 'version', 'env', 'status', 'userId', 'sessionId', 'model', 'q'];

/**
 * The traces-list filter of `--filter k=v,…` and `--since`. @throws UsageError naming the keys it takes
 */
function traceFilter(
  filterText: string | undefined,
  since: string | undefined,
): Record<string, string | number> {
  const filter: Record<string, string | number> = {};
  for (const pair of (filterText ?? '').split(',').filter((p) => p.trim() !== '')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (eq <= 0 || value === '' || !FILTER_KEYS.includes(key)) {
      throw new UsageError(
        `--filter takes key=value pairs with keys ${FILTER_KEYS.join(', ')}; got "${pair}"`,
      );
    }
    filter[key] = key === 'version' ? parsePositiveInt(value, '--filter version') : value;
  }
  if (since !== undefined) filter.from = parseSince(since, Date.now());
  return filter;
}

/** The options of a selection of traces (`--filter`, `--since`, `--limit`), read by {@link traceSelection}. */
export const TRACE_SELECTION_OPTIONS: Record<string, OptionSpec> = {
  filter: {
    type: 'string',
    value: '<k=v,…>',
    description: 'Trace filter, e.g. status=error,prompt=support/triage,env=production',
  },
  since: {
    type: 'string',
    value: '<since>',
    description: 'Only traces started after: 30m, 24h, 7d… or an ISO-8601 time',
  },
  limit: {
    type: 'string',
    value: '<n>',
    description: 'At most this many traces (default 100, max 1000)',
  },
};

/**
 * Which traces a bulk command takes (shared by `traces to-dataset` and `queues add`): the trace ids
 * named, or the traces `--filter`/`--since` pick, one or the other; `--limit` caps the picked ones.
 * @throws UsageError for a malformed id, both ways at once, or neither
 */
export function traceSelection(
  traceIds: readonly string[],
  options: { filter: string | undefined; since: string | undefined; limit: string | undefined },
): { traces: { traceId: string }[] } | { filter: Record<string, string | number>; limit?: number } {
  for (const id of traceIds) {
    if (!/^[0-9a-f]{32}$/.test(id))
      throw new UsageError(`a trace id is 32 lowercase hex digits, got "${id}"`);
  }
  const picking = options.filter !== undefined || options.since !== undefined;
  if (traceIds.length > 0 && picking) {
    throw new UsageError('name traces by id or pick them with --filter/--since, not both');
  }
  if (traceIds.length === 0 && !picking) {
    throw new UsageError(
      'name trace ids, or pick traces with --filter (e.g. --filter status=error) or --since',
    );
  }
  const limit = options.limit === undefined ? {} : { limit: parsePositiveInt(options.limit, '--limit') };
  if (traceIds.length > 0) return { traces: traceIds.map((traceId) => ({ traceId })), ...limit };
  return { filter: traceFilter(options.filter, options.since), ...limit };
}

/** The `traces` command group. */
export const tracesCommand = defineGroup({
  name: 'traces',
  summary: 'List recorded traces and show one as a tree of spans',
  commands: {
    list: {
      name: 'traces list',
      usage:
        '[--prompt <name>] [--env <env>] [--status ok|error] [--since <24h|7d|time>] [--limit <n>] [options]',
      summary: 'List traces newest first, one row per trace',
      description:
        'One row per trace: its root span (or earliest span), start, duration, status, prompt version,\n' +
        'model, tokens, cost and span count. When more traces match, the last line says how to get the next page.',
      options: {
        prompt: { type: 'string', value: '<name>', description: 'Only traces of this prompt' },
        env: { type: 'string', value: '<env>', description: 'Only traces of this environment' },
        status: { type: 'string', value: '<status>', description: 'ok, or error (any span failed)' },
        since: {
          type: 'string',
          value: '<since>',
          description: 'Only traces started after: 30m, 24h, 7d… before now, or an ISO-8601 time',
        },
        limit: {
          type: 'string',
          value: '<n>',
          description: 'At most this many traces (default 50, max 200)',
        },
        cursor: { type: 'string', value: '<c>', description: 'Continue after the previous page' },
      },
      positionals: { min: 0, max: 0 },
      examples: [
        'promptline traces list --since 24h',
        'promptline traces list --prompt support/triage --env production --status error --limit 20',
      ],
      async run(input, ctx) {
        const status = input.string('status');
        if (status !== undefined && status !== 'ok' && status !== 'error') {
          throw new UsageError(`--status must be ok or error, got "${status}"`);
        }
        const since = input.string('since');
        const limitText = input.string('limit');
        const page = await ctx.api.listTraces({
          prompt: input.string('prompt'),
          env: input.string('env'),
          status,
          from: since === undefined ? undefined : parseSince(since, Date.now()),
          limit: limitText === undefined ? undefined : parsePositiveInt(limitText, '--limit'),
          cursor: input.string('cursor'),
        });
        if (ctx.printJson(page)) return;
        if (page.items.length === 0) {
          ctx.out('No traces match.\n');
          return;
        }
        const rows = page.items.map((t) => [
          t.traceId,
          t.startTime,
          t.name,
          duration(t.durationMs),
          t.status === 'error' ? paint('red', 'error', ctx.color) : 'ok',
          promptCell(t.prompt),
          t.model ?? '-',
          `${t.usage.input}/${t.usage.output}`,
          usd(t.costUsd),
          String(t.spanCount),
        ]);
        ctx.out(
          formatTable(
            [
              'TRACE',
              'START',
              'NAME',
              'DURATION',
              'STATUS',
              'PROMPT',
              'MODEL',
              'TOKENS',
              'COST USD',
              'SPANS',
            ],
            rows,
            ctx.color,
          ),
        );
        if (page.nextCursor !== null) ctx.out(`\nMore traces: add --cursor ${page.nextCursor}\n`);
      },
    },
    'to-dataset': {
      name: 'traces to-dataset',
      usage:
        '<dataset> [traceId…] [--filter <k=v,…>] [--since <24h>] [--limit <n>] [--create] [--no-expected] [options]',
      summary: 'Turn production traces into dataset items (a failure becomes a test case)',
      description:
        'Each trace gives one item: its span with a prompt (else its root) — the variables it was rendered\n' +
        'with, its input and output as metadata, its output as the expected answer (edit it later, or\n' +
        '--no-expected) and the trace id as sourceTraceId. Name traces by id, or pick them with --filter\n' +
        '(keys: prompt, version, env, status, userId, sessionId, model, q) and --since; --limit caps them\n' +
        '(default 100, max 1000). The items are one new revision of <dataset>; --create makes it if missing.',
      options: {
        ...TRACE_SELECTION_OPTIONS,
        create: { type: 'boolean', description: 'Create <dataset> when it does not exist' },
        'no-expected': {
          type: 'boolean',
          description: 'Leave the expected answer empty instead of the span output',
        },
      },
      positionals: { min: 1, max: 1001 },
      examples: [
        'promptline traces to-dataset triage-regressions --filter status=error,prompt=support/triage --since 24h --create',
        'promptline traces to-dataset triage-regressions 4bf92f3577b34da6a3ce929d0e0e4736',
      ],
      async run(input, ctx) {
        const [dataset = '', ...traceIds] = input.positionals;
        const selection = traceSelection(traceIds, {
          filter: input.string('filter'),
          since: input.string('since'),
          limit: input.string('limit'),
        });
        const result = await ctx.api.tracesToDataset(dataset, {
          ...selection,
          create: input.flag('create'),
          expected: input.flag('no-expected') ? 'none' : 'output',
        });
        if (ctx.printJson(result)) return;
        if (result.items.length === 0) {
          ctx.out(`No item added to ${dataset}: no trace matched.\n`);
        } else {
          ctx.out(
            `Added ${result.items.length} item(s) to ${result.created ? 'new dataset ' : ''}${dataset} (revision ${result.revision}).\n`,
          );
        }
        for (const s of result.skipped) ctx.out(`skipped ${s.traceId}: ${s.reason}\n`);
      },
    },
    show: {
      name: 'traces show',
      usage: '<traceId> [options]',
      summary: 'Show a trace as a tree of spans with durations, prompt versions, tokens, cost and scores',
      description:
        'Prints the trace, then each span indented under its parent with its duration and its start\n' +
        'offset from the trace start (+…). A span whose parent never arrived is shown at the top level.',
      options: {},
      positionals: { min: 1, max: 1 },
      examples: ['promptline traces show 4bf92f3577b34da6a3ce929d0e0e4736'],
      async run(input, ctx) {
        const [traceId = ''] = input.positionals;
        if (!/^[0-9a-f]{32}$/.test(traceId)) {
          throw new UsageError(`a trace id is 32 lowercase hex digits, got "${traceId}"`);
        }
        const trace = await ctx.api.getTrace(traceId);
        if (ctx.printJson(trace)) return;
        ctx.out(
          `${paint('bold', trace.name, ctx.color)} · ${trace.traceId} · ${trace.startTime} · ${duration(trace.durationMs)} · ${trace.spanCount} span(s)${trace.errorCount > 0 ? ` · ${trace.errorCount} error(s)` : ''}\n\n`,
        );
        const start = Date.parse(trace.startTime);
        for (const span of trace.spans) ctx.out(spanLine(span, start, ctx.color));
      },
    },
  },
});
