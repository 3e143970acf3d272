/**
 * Metrics per prompt version. Trace ingestion hands every written span and score to `sink` inside
 * its transaction, which adds them to the minute rollups (and to the hour rollups for an hour
 * already rolled up), so a span counts the moment it is durable. Two recurring jobs roll closed
 * hours up from minutes and apply retention; reads combine hour and minute rollups.
 */
import {
  type CompareArm,
  DEFAULT_ROLLUP_RETENTION_DAYS,
  DEFAULT_SUMMARY_PROMPTS,
  type MetricsComparison,
  type MetricsQuery,
  type MetricsSettings,
  type MetricsSummary,
  type MetricsSummaryQuery,
  MINUTE_ROLLUP_RETENTION_DAYS,
  type PromptMetrics,
} from '@promptline/core';
import { z } from 'zod';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { JobService } from '../jobs/service.ts';
import type { ScoreRecorded, SpanRecorded, TraceSink } from '../traces/sink.ts';
import { aggregateSpans, bucketOf, scoreRow } from './aggregate.ts';
import { accumulate, compareArm, mergeVersions, versionMetrics } from './report.ts';
import { createMetricStore, type RollupRange } from './store.ts';
import { summarize } from './summary.ts';
import { requestedRange, seriesWindow, splitWindow } from './window.ts';

export const HOUR_ROLLUP_JOB = { kind: 'metrics.hour-rollup', everySeconds: 60 };
export const RETENTION_JOB = { kind: 'metrics.retention', everySeconds: 3600 };
/** Most hours one roll-up run sums: a long backlog is worked off over several runs. */
const MAX_HOURS_PER_RUN = 24;
const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;

export interface MetricsServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  /** Where the roll-up and retention jobs are registered (omit in tests that drive them by hand). */
  jobs?: Pick<JobService, 'register' | 'every'> | undefined;
  /** Interval of the hour roll-up job in seconds (default 60). */
  rollupEverySeconds?: number | undefined;
}

/** A window of a comparison: epoch ms or ISO, default the last 24 hours. */
export interface CompareWindow {
  from?: string | undefined;
  to?: string | undefined;
}

export function createMetricsService(options: MetricsServiceOptions) {
  const { database, clock } = options;
  const store = createMetricStore(database.dialect);
  const nowMs = () => clock.now().getTime();

  const sink: TraceSink = {
    async spansWritten(trx: Db, spans: readonly SpanRecorded[]): Promise<void> {
      if (spans.length === 0) return;
      // Taken first, before any rollup row: every writer locks in the order state → minute → hour.
      const rolledUntil = await store.rolledUntil(trx, 'share');
      await store.addSpans(trx, 'minute', aggregateSpans(spans, 'minute'));
      const late = spans.filter((s) => bucketOf(s.startMs, 'minute') < rolledUntil);
      if (late.length > 0) await store.addSpans(trx, 'hour', aggregateSpans(late, 'hour'));
    },
    async scoreWritten(trx: Db, score: ScoreRecorded): Promise<void> {
      const rolledUntil = await store.rolledUntil(trx, 'share');
      await store.addScore(trx, 'minute', scoreRow(score, 'minute'));
      if (bucketOf(score.spanStartMs, 'minute') < rolledUntil)
        await store.addScore(trx, 'hour', scoreRow(score, 'hour'));
    },
  };

  /**
   * Sums closed hours (up to {@link MAX_HOURS_PER_RUN}) from minute rollups into hour rollups and
   * moves the watermark, in one transaction: run twice, it finds the watermark moved.
   */
  async function rollUpHours(trx: Db): Promise<void> {
    const rolledUntil = await store.rolledUntil(trx, 'update');
    const currentHour = bucketOf(nowMs(), 'hour');
    if (rolledUntil >= currentHour) return;
    const first = await store.firstMinuteFrom(trx, rolledUntil);
    if (first === null || first >= currentHour) {
      await store.setRolledUntil(trx, currentHour);
      return;
    }
    // Skip empty hours at once (a fresh install starts from epoch 0).
    const from = Math.max(rolledUntil, Math.floor(first / 60) * 60);
    const to = Math.min(currentHour, from + MAX_HOURS_PER_RUN * 60);
    await store.rollHours(trx, from, to);
    await store.setRolledUntil(trx, to);
  }

  /** Deletes rollups older than each project's retention; minute rows only once rolled up. */
  async function applyRetention(trx: Db): Promise<void> {
    const nowMinute = Math.floor(nowMs() / MINUTE_MS);
    const rolledUntil = await store.rolledUntil(trx, 'none');
    const cutoffs = async (projectId: number | null, days: number) => {
      await store.deleteBefore(trx, 'hour', projectId, nowMinute - days * DAY_MINUTES);
      const minuteDays = Math.min(days, MINUTE_ROLLUP_RETENTION_DAYS);
      await store.deleteBefore(
        trx,
        'minute',
        projectId,
        Math.min(rolledUntil, nowMinute - minuteDays * DAY_MINUTES),
      );
    };
    for (const { projectId, days } of await store.retentionOverrides(trx)) await cutoffs(projectId, days);
    await cutoffs(null, DEFAULT_ROLLUP_RETENTION_DAYS);
  }

  if (options.jobs) {
    options.jobs.register({
      kind: HOUR_ROLLUP_JOB.kind,
      payload: z.object({}),
      maxAttempts: 3,
      run: (_payload, ctx) => ctx.fenced(rollUpHours),
    });
    options.jobs.every(HOUR_ROLLUP_JOB.kind, options.rollupEverySeconds ?? HOUR_ROLLUP_JOB.everySeconds);
    options.jobs.register({
      kind: RETENTION_JOB.kind,
      payload: z.object({}),
      maxAttempts: 3,
      run: (_payload, ctx) => ctx.fenced(applyRetention),
    });
    options.jobs.every(RETENTION_JOB.kind, RETENTION_JOB.everySeconds);
  }

  /**
   * The rows of a window from whichever rollups cover each part of it (score rows only when
   * `scores`): what every read of the metrics is made of.
   */
  async function readRows(
    range: Omit<RollupRange, 'from' | 'to'>,
    from: number,
    to: number,
    minuteOnly: boolean,
    scores = true,
  ) {
    const rolledUntil = await store.rolledUntil(database.db, 'none');
    const parts = splitWindow(from, to, rolledUntil, minuteOnly);
    const reads = await Promise.all(
      parts.map(async (part) => {
        const r = { ...range, from: part.from, to: part.to };
        return {
          spans: await store.readSpans(database.db, part.grain, r),
          scores: scores ? await store.readScores(database.db, part.grain, r) : [],
        };
      }),
    );
    return { spans: reads.flatMap((r) => r.spans), scores: reads.flatMap((r) => r.scores) };
  }

  /** Reads a window of one prompt, accumulated per version and interval. */
  async function read(
    range: Omit<RollupRange, 'from' | 'to'>,
    from: number,
    to: number,
    minuteOnly: boolean,
  ) {
    const rows = await readRows(range, from, to, minuteOnly);
    return accumulate(rows.spans, rows.scores);
  }

  return {
    /** Receives written spans and scores from trace ingestion (inside its transaction). */
    sink,

    /**
     * The hour roll-up watermark (epoch minutes). An import reads it locked (`update`) so the
     * roll-up cannot move it while imported rows are placed by it (import-placement.ts).
     */
    watermark: (db: Db, lock: 'update' | 'none'): Promise<number> => store.rolledUntil(db, lock),

    /**
     * Totals and series per version of one prompt (`GET /api/v1/prompts/{name}/metrics`).
     *
     * @throws AppError METRICS_WINDOW_INVALID, METRICS_TOO_MANY_POINTS
     */
    async promptMetrics(projectId: number, prompt: string, query: MetricsQuery): Promise<PromptMetrics> {
      const window = seriesWindow(nowMs(), query);
      const series = await read(
        { projectId, prompt, environment: query.env, step: window.step },
        window.from,
        window.to,
        window.step < 60,
      );
      return {
        prompt,
        environment: query.env ?? null,
        from: new Date(window.from * MINUTE_MS).toISOString(),
        to: new Date(window.to * MINUTE_MS).toISOString(),
        interval: window.interval,
        versions: versionMetrics(series, window),
      };
    },

    /**
     * Version `a` (control) against version `b` of one prompt over a window (whole minutes; default
     * the last 24 h): per arm the counts, rates, percentiles and the moments (n, Σx, Σx²) of error,
     * latency, cost and every score, for rollout guardrails and experiment statistics.
     *
     * @throws AppError METRICS_WINDOW_INVALID
     */
    async compare(
      projectId: number,
      prompt: string,
      env: string | undefined,
      a: number,
      b: number,
      window: CompareWindow = {},
    ): Promise<MetricsComparison> {
      const { fromMs, toMs } = requestedRange(nowMs(), window.from, window.to);
      const from = Math.floor(fromMs / MINUTE_MS);
      const to = Math.ceil(toMs / MINUTE_MS);
      const series = await read(
        { projectId, prompt, environment: env, step: null, versions: [a, b] },
        from,
        to,
        false,
      );
      const arm = (version: number): CompareArm => compareArm(version, series);
      return {
        prompt,
        environment: env ?? null,
        from: new Date(from * MINUTE_MS).toISOString(),
        to: new Date(to * MINUTE_MS).toISOString(),
        a: arm(a),
        b: arm(b),
      };
    },

    /**
     * The figures of a scope over [fromMs, toMs) (whole minutes, the current one included): one
     * prompt or the whole project, optionally one version and one environment, all versions
     * together (reported as version 0 unless one was asked for). What alert rules evaluate.
     */
    async windowSummary(
      projectId: number,
      scope: { prompt?: string | undefined; version?: number | undefined; environment?: string | undefined },
      fromMs: number,
      toMs: number,
    ): Promise<CompareArm> {
      const series = await read(
        {
          projectId,
          prompt: scope.prompt,
          environment: scope.environment,
          step: null,
          ...(scope.version === undefined ? {} : { versions: [scope.version] }),
        },
        Math.floor(fromMs / MINUTE_MS),
        Math.ceil(toMs / MINUTE_MS),
        false,
      );
      return { ...compareArm(0, mergeVersions(series)), version: scope.version ?? 0 };
    },

    /**
     * The project's totals and its busiest prompts over one window, each with a series of sums
     * (`GET /api/v1/metrics/summary`): what the web dashboard draws, in two reads of the rollups
     * whatever the number of prompts.
     *
     * @throws AppError METRICS_WINDOW_INVALID, METRICS_TOO_MANY_POINTS
     */
    async summary(projectId: number, query: MetricsSummaryQuery): Promise<MetricsSummary> {
      const window = seriesWindow(nowMs(), query);
      const base = { projectId, prompt: undefined, environment: query.env };
      // Percentiles need histograms: one row per prompt and version for the whole window, from
      // hour rollups where they exist. The series needs sums only, so it leaves the 90 histogram
      // columns out of the (larger) per-interval read.
      const totals = await readRows(
        { ...base, step: null, group: 'prompt-version' },
        window.from,
        window.to,
        false,
      );
      const series = await readRows(
        { ...base, step: window.step, group: 'prompt', histogram: false },
        window.from,
        window.to,
        window.step < 60,
        false,
      );
      return summarize(totals, series.spans, window, query.limit ?? DEFAULT_SUMMARY_PROMPTS, query.env);
    },

    async settings(projectId: number): Promise<MetricsSettings> {
      const days = await store.retentionDays(database.db, projectId);
      return { rollupRetentionDays: days ?? DEFAULT_ROLLUP_RETENTION_DAYS };
    },

    async updateSettings(
      projectId: number,
      settings: MetricsSettings,
      actor: string,
    ): Promise<MetricsSettings> {
      await database.db.transaction().execute(async (trx) => {
        await store.setRetentionDays(trx, projectId, settings.rollupRetentionDays, isoNow(clock));
        await options.audit.append(trx, {
          projectId,
          actor,
          action: 'metrics.settings.update',
          targetType: 'project',
          target: 'metrics',
          data: { ...settings },
        });
      });
      return settings;
    },

    /** One hour roll-up pass in its own transaction (what the recurring job does; tests call it). */
    rollUpHours: () => database.db.transaction().execute(rollUpHours),
    /** One retention pass in its own transaction. */
    applyRetention: () => database.db.transaction().execute(applyRetention),
  };
}

export type MetricsService = ReturnType<typeof createMetricsService>;
