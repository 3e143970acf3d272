/**
 * Metrics per prompt version, read from the rollups that trace ingestion maintains: the query of
 * `GET /api/v1/prompts/{name}/metrics` and its answer (DESIGN.md's shape), and the comparison of two
 * versions over a window that guarded rollouts and experiments build on.
 */
import { z } from 'zod';
import { EnvironmentName, IsoInstant, RowIdParam } from '../schemas.ts';

/** Width of one series point. */
export const MetricsInterval = z.enum(['1m', '5m', '1h', '1d']);

/** Minutes in each interval. */
export const INTERVAL_MINUTES: Record<MetricsInterval, number> = { '1m': 1, '5m': 5, '1h': 60, '1d': 1440 };

/** Most series points one answer may hold (per version); a longer window needs a wider interval. */
export const MAX_METRICS_POINTS = 1_500;

/** The series length the default interval aims at (the smallest interval giving at most this many). */
export const TARGET_METRICS_POINTS = 300;

/** Window when `from` is not given: the 24 hours before `to`. */
export const DEFAULT_METRICS_WINDOW_MS = 24 * 3_600_000;

/**
 * Per-minute rollups are kept this many days (hour rollups for the project's retention): `1m` and
 * `5m` series reach this far back.
 */
export const MINUTE_ROLLUP_RETENTION_DAYS = 35;

/** Hour rollups are kept this many days unless the project says otherwise. */
export const DEFAULT_ROLLUP_RETENTION_DAYS = 400;

/** Query of `GET /api/v1/prompts/{name}/metrics`. */
export const MetricsQuery = z.object({
  /** Only spans of this environment (default: all environments together). */
  env: EnvironmentName.optional(),
  /** Start of the window (default `to` − 24 h); rounded down to the interval. */
  from: IsoInstant.optional(),
  /** End of the window, exclusive (default now); rounded up to the interval. */
  to: IsoInstant.optional(),
  /** Width of a series point (default: the smallest giving at most 300 points). */
  interval: MetricsInterval.optional(),
});

/** Query of `GET /api/v1/prompts/{name}/metrics/compare`. */
export const MetricsCompareQuery = z.object({
  env: EnvironmentName.optional(),
  /** The control version. */
  a: RowIdParam,
  /** The candidate version. */
  b: RowIdParam,
  from: IsoInstant.optional(),
  to: IsoInstant.optional(),
});

/** Latency percentiles (ms) estimated from the fixed histogram; null without spans. */
export const LatencyPercentiles = z.object({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});

export const TokenTotals = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  /** Input tokens served from the provider's cache (part of `input`). */
  cachedInput: z.number().int().nonnegative(),
});

/**
 * One score name's summary. Numeric scores average their values, booleans count as 0/1;
 * categorical scores have no mean (null) and list their counts per value in `values`.
 */
export const ScoreSummary = z.object({
  mean: z.number().nullable(),
  count: z.number().int().nonnegative(),
  values: z.record(z.string(), z.number().int().nonnegative()).optional(),
});

/**
 * Output contract checks of production spans: spans checked (they named a version with an output
 * contract and had an output), how many broke it, and the share (null when none was checked).
 */
export const ContractFigures = z.object({
  checked: z.number().int().nonnegative(),
  violations: z.number().int().nonnegative(),
  violationRate: z.number().nullable(),
});

const MetricsFigures = {
  count: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  latencyMs: LatencyPercentiles,
  tokens: TokenTotals,
  /** Sum of the spans' costs (sent, or computed from the price table); spans without a price add nothing. */
  costUsd: z.number(),
  scores: z.record(z.string(), ScoreSummary),
  contract: ContractFigures,
};

/** One interval of a version's series; `t` is its start. */
export const MetricsPoint = z.object({ t: z.string(), ...MetricsFigures });

export const VersionMetrics = z.object({
  version: z.number().int(),
  ...MetricsFigures,
  /** Every interval of the window, oldest first, empty ones included. */
  series: z.array(MetricsPoint),
});

/** Answer of `GET /api/v1/prompts/{name}/metrics`: totals per version and their series. */
export const PromptMetrics = z.object({
  prompt: z.string(),
  environment: z.string().nullable(),
  /** The window actually covered (rounded to the interval). */
  from: z.string(),
  to: z.string(),
  interval: MetricsInterval,
  /** Versions with at least one span or score in the window, newest first. */
  versions: z.array(VersionMetrics),
});

/**
 * The sufficient statistics of one measure in one arm: what a sequential test or a confidence
 * interval needs (n, Σx, Σx²), with the mean and the sample variance worked out.
 */
export const Moments = z.object({
  n: z.number().int().nonnegative(),
  sum: z.number(),
  sumSq: z.number(),
  mean: z.number().nullable(),
  /** Sample variance (n − 1 in the denominator); null below two observations. */
  variance: z.number().nullable(),
});

export const CompareArm = z.object({
  version: z.number().int(),
  count: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** errors / count; null without spans. Its moments are those of a 0/1 variable. */
  errorRate: z.number().nullable(),
  errorMoments: Moments,
  latencyMs: LatencyPercentiles.extend({
    moments: Moments,
    /** Calls per bucket of the fixed latency histogram (`LATENCY_BUCKET_LOWER_BOUNDS`). */
    histogram: z.array(z.number().int().nonnegative()).optional(),
  }),
  /** Mean cost of a call with a known cost; null when none had one. */
  costPerCall: z.number().nullable(),
  costMoments: Moments,
  /** Output contract checks; their moments are those of a 0/1 variable over the checked spans. */
  contract: ContractFigures,
  scores: z.record(
    z.string(),
    Moments.extend({ values: z.record(z.string(), z.number().int().nonnegative()).optional() }),
  ),
});

/** Answer of `GET /api/v1/prompts/{name}/metrics/compare`: version `a` (control) against `b`. */
export const MetricsComparison = z.object({
  prompt: z.string(),
  environment: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  a: CompareArm,
  b: CompareArm,
});

/** `GET`/`PUT /api/v1/metrics/settings`: how long the project's rollups are kept. */
export const MetricsSettings = z.object({
  /** Days of hour rollups kept (minute rollups: the lesser of this and 35 days). */
  rollupRetentionDays: z.number().int().min(1).max(36_500),
});

export type MetricsSettings = z.infer<typeof MetricsSettings>;
export type MetricsInterval = z.infer<typeof MetricsInterval>;
export type MetricsQuery = z.infer<typeof MetricsQuery>;
export type MetricsCompareQuery = z.infer<typeof MetricsCompareQuery>;
export type LatencyPercentiles = z.infer<typeof LatencyPercentiles>;
export type ContractFigures = z.infer<typeof ContractFigures>;
export type TokenTotals = z.infer<typeof TokenTotals>;
export type ScoreSummary = z.infer<typeof ScoreSummary>;
export type MetricsPoint = z.infer<typeof MetricsPoint>;
export type VersionMetrics = z.infer<typeof VersionMetrics>;
export type PromptMetrics = z.infer<typeof PromptMetrics>;
export type Moments = z.infer<typeof Moments>;
export type CompareArm = z.infer<typeof CompareArm>;
export type MetricsComparison = z.infer<typeof MetricsComparison>;

/** Checked and violating counts as {@link ContractFigures}. */
export function contractFigures(checked: number, violations: number): ContractFigures {
  return { checked, violations, violationRate: checked > 0 ? violations / checked : null };
}

/** Mean and sample variance from n, Σx and Σx² (variance clamped at 0 against rounding). */
export function momentsOf(n: number, sum: number, sumSq: number): Moments {
  const mean = n > 0 ? sum / n : null;
  const variance = n > 1 ? Math.max(0, (sumSq - (sum * sum) / n) / (n - 1)) : null;
  return { n, sum, sumSq, mean, variance };
}

/** Prompts a summary lists when `limit` is not given (the web dashboard's 30). */
export const DEFAULT_SUMMARY_PROMPTS = 30;

/** Query of `GET /api/v1/metrics/summary`: the project's prompts over one window. */
export const MetricsSummaryQuery = z.object({
  /** Only spans of this environment (default: all environments together). */
  env: EnvironmentName.optional(),
  /** Start of the window (default `to` − 24 h); rounded down to the interval. */
  from: IsoInstant.optional(),
  /** End of the window, exclusive (default now); rounded up to the interval. */
  to: IsoInstant.optional(),
  /** Width of a series point (default: the smallest giving at most 300 points). */
  interval: MetricsInterval.optional(),
  /** Most prompts listed, busiest first (default 30); the totals count every prompt. */
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

/** One interval of a summary series: sums only (no percentiles), what the dashboard's charts draw. */
export const SummaryPoint = z.object({
  t: z.string(),
  count: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  tokens: TokenTotals,
  costUsd: z.number(),
});

const SummaryFigures = {
  ...MetricsFigures,
  /** errors / count; null without spans. */
  errorRate: z.number().nullable(),
  /** Every interval of the window, oldest first, empty ones included. */
  series: z.array(SummaryPoint),
};

/** One prompt over the window, all its versions together. */
export const PromptSummary = z.object({
  prompt: z.string(),
  /** Versions with a span or a score in the window, newest first. */
  versions: z.array(z.number().int()),
  ...SummaryFigures,
});

/**
 * Answer of `GET /api/v1/metrics/summary`: the project's totals and its busiest prompts over one
 * window, each with a series of sums, read from the rollups in one request.
 */
export const MetricsSummary = z.object({
  environment: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  interval: MetricsInterval,
  /** Every span of the window, those naming no prompt included; `prompts` counts the named prompts seen. */
  totals: z.object({ prompts: z.number().int().nonnegative(), ...SummaryFigures }),
  /** The busiest prompts (most spans, then name), at most `limit`. */
  prompts: z.array(PromptSummary),
});

export type MetricsSummaryQuery = z.infer<typeof MetricsSummaryQuery>;
export type SummaryPoint = z.infer<typeof SummaryPoint>;
export type PromptSummary = z.infer<typeof PromptSummary>;
export type MetricsSummary = z.infer<typeof MetricsSummary>;
