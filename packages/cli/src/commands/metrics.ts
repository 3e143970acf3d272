/**
 * `promptline metrics <name>`: how each version of a prompt behaves in production;
 * `promptline metrics --summary`: the project's totals and its busiest prompts.
 */
import type { MetricsInterval, MetricsSummary, VersionMetrics } from '@promptline/core';
import { parsePositiveInt } from '../args.ts';
import { UsageError } from '../errors.ts';
import { type Context, defineCommand } from '../kit.ts';
import { formatTable, paint } from '../output.ts';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The start of the window from `--since`: a duration before now (`30m`, `24h`, `7d`) or an
 * ISO-8601 time.
 */
export function parseSince(value: string, nowMs: number): string {
  const match = /^(\d+)([mhd])$/.exec(value);
  if (match) {
    const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 'h'] ?? 0);
    if (ms > 0) return new Date(nowMs - ms).toISOString();
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) {
    return new Date(Date.parse(value)).toISOString();
  }
  throw new UsageError(
    `--since expects a duration such as 30m, 24h or 7d, or an ISO-8601 time; got "${value}"`,
  );
}

const ms = (value: number | null) =>
  value === null ? '-' : value >= 100 ? value.toFixed(0) : value.toFixed(1);
const usd = (value: number) => (value === 0 ? '0' : value < 0.01 ? value.toPrecision(2) : value.toFixed(4));
const percent = (part: number, whole: number) =>
  whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;

function scoresCell(scores: VersionMetrics['scores']): string {
  const parts = Object.entries(scores).map(([name, s]) =>
    s.mean === null
      ? `${name} ${Object.entries(s.values ?? {})
          .map(([value, count]) => `${value}:${count}`)
          .join(',')}`
      : `${name} ${s.mean.toFixed(2)} (n=${s.count})`,
  );
  return parts.length === 0 ? '-' : parts.join('; ');
}

function figures(f: Omit<VersionMetrics, 'version' | 'series'>): string[] {
  return [
    String(f.count),
    String(f.errors),
    percent(f.errors, f.count),
    ms(f.latencyMs.p50),
    ms(f.latencyMs.p95),
    ms(f.latencyMs.p99),
    String(f.tokens.input),
    String(f.tokens.output),
    usd(f.costUsd),
    scoresCell(f.scores),
  ];
}

const HEADERS = [
  'CALLS',
  'ERRORS',
  'ERR %',
  'P50 MS',
  'P95 MS',
  'P99 MS',
  'TOKENS IN',
  'TOKENS OUT',
  'COST USD',
  'SCORES',
];

function printSummary(summary: MetricsSummary, ctx: Context): void {
  const where = summary.environment === null ? 'all environments' : summary.environment;
  ctx.out(
    `${paint('bold', 'project', ctx.color)} · ${where} · ${summary.from} → ${summary.to} (interval ${summary.interval}) · ${summary.totals.prompts} prompts\n\n`,
  );
  if (summary.totals.count === 0 && summary.prompts.length === 0) {
    ctx.out('No calls recorded in this window.\n');
    return;
  }
  const rows = [
    ['(all)', ...figures(summary.totals)],
    ...summary.prompts.map((p) => [p.prompt, ...figures(p)]),
  ];
  ctx.out(formatTable(['PROMPT', ...HEADERS], rows, ctx.color));
}

/** `promptline metrics`. */
export const metricsCommand = defineCommand({
  name: 'metrics',
  usage:
    '<name> [--env <env>] [--since <24h|7d|time>] [--interval 1m|5m|1h|1d] [--series] [options]\n' +
    '       promptline metrics --summary [--env <env>] [--since <24h|7d|time>] [--limit <n>] [options]',
  summary:
    'Calls, errors, latency percentiles, tokens, cost and scores per version of a prompt, or per prompt',
  description:
    'Reads the metrics rollups of the spans recorded for the prompt (traces, OpenTelemetry, gateway,\n' +
    'SDK): one row per version over the window, newest version first. --series adds a table per\n' +
    'version with each interval that saw calls. Latency percentiles are estimated from fixed\n' +
    'buckets (within 9.1 %). --json prints the API answer, the series of every interval included.\n' +
    'With --summary instead of a prompt: the whole project (every span, those naming no prompt too)\n' +
    'and one row per prompt, all its versions together, busiest first (GET /api/v1/metrics/summary).',
  options: {
    env: { type: 'string', value: '<env>', description: 'Only this environment (default: all together)' },
    since: {
      type: 'string',
      value: '<since>',
      description: 'Start of the window: 30m, 24h, 7d… before now, or an ISO-8601 time (default 24h)',
    },
    interval: {
      type: 'string',
      value: '<interval>',
      description: 'Width of a series interval: 1m, 5m, 1h or 1d (default: at most 300 intervals)',
    },
    series: { type: 'boolean', description: 'Also print each version’s intervals that saw calls' },
    summary: {
      type: 'boolean',
      description: 'The project’s totals and busiest prompts instead of one prompt',
    },
    limit: {
      type: 'string',
      value: '<n>',
      description: 'With --summary: most prompts listed, busiest first (default 30, at most 200)',
    },
  },
  positionals: { min: 0, max: 1 },
  examples: [
    'promptline metrics support/triage --env production --since 24h',
    'promptline metrics support/triage --env production --since 7d --interval 1d --series',
    'promptline metrics support/triage --since 1h --json',
    'promptline metrics --summary --env production --since 7d',
  ],
  async run(input, ctx) {
    const [name = ''] = input.positionals;
    const intervalText = input.string('interval');
    let interval: MetricsInterval | undefined;
    if (intervalText !== undefined) {
      // Loaded only here, so the command without --interval does not load zod.
      const { MetricsInterval: Interval } = await import('@promptline/core/trace-metrics');
      const parsed = Interval.safeParse(intervalText);
      if (!parsed.success) throw new UsageError(`--interval must be 1m, 5m, 1h or 1d, got "${intervalText}"`);
      interval = parsed.data;
    }
    const from = parseSince(input.string('since') ?? '24h', Date.now());
    if (input.flag('summary')) {
      if (input.positionals.length > 0)
        throw new UsageError('give a prompt name or --summary, not both (--summary covers every prompt)');
      if (input.flag('series'))
        throw new UsageError('--series is for one prompt; --json prints the summary’s series');
      const limit = input.string('limit');
      const summary = await ctx.api.metricsSummary({
        env: input.string('env'),
        from,
        interval,
        limit: limit === undefined ? undefined : parsePositiveInt(limit, '--limit'),
      });
      if (!ctx.printJson(summary)) printSummary(summary, ctx);
      return;
    }
    if (input.positionals.length === 0)
      throw new UsageError(
        'give the prompt name (promptline metrics <name>), or --summary for the whole project',
      );
    if (input.string('limit') !== undefined) throw new UsageError('--limit goes with --summary');
    const metrics = await ctx.api.promptMetrics(name, { env: input.string('env'), from, interval });
    if (ctx.printJson(metrics)) return;
    const where = metrics.environment === null ? 'all environments' : metrics.environment;
    ctx.out(
      `${paint('bold', metrics.prompt, ctx.color)} · ${where} · ${metrics.from} → ${metrics.to} (interval ${metrics.interval})\n\n`,
    );
    if (metrics.versions.length === 0) {
      ctx.out('No calls recorded in this window.\n');
      return;
    }
    const rows = metrics.versions.map((v) => [String(v.version), ...figures(v)]);
    ctx.out(formatTable(['VERSION', ...HEADERS], rows, ctx.color));
    if (!input.flag('series')) return;
    for (const version of metrics.versions) {
      const points = version.series.filter(
        (point) => point.count > 0 || Object.keys(point.scores).length > 0,
      );
      ctx.out(`\n${paint('bold', `version ${version.version}`, ctx.color)}\n`);
      ctx.out(
        formatTable(
          ['INTERVAL', ...HEADERS],
          points.map((point) => [point.t, ...figures(point)]),
          ctx.color,
        ),
      );
    }
  },
});
