/**
 * The values /metrics reads from features when it is scraped: nothing is counted for them per
 * request, and a reading that fails or takes too long leaves only its own metric out.
 */
import type { Database } from '../db/database.ts';
import type { SpanRecorder } from '../gateway/recorder.ts';
import type { JobService } from '../jobs/service.ts';
import type { UpdateStream } from '../live/update-stream.ts';
import type { ServerMetrics } from './registry.ts';

export function registerScrapedMetrics(
  metrics: ServerMetrics,
  {
    database,
    jobs,
    updates,
    recorder,
  }: {
    database: Database;
    jobs: JobService;
    updates: UpdateStream;
    recorder: SpanRecorder;
  },
): void {
  // Two gauges, one query per scrape: a scrape reads every gauge in the same tick, so the second
  // finds the first one's query still running and shares it.
  let running: ReturnType<JobService['queueStats']> | undefined;
  const queue = () => {
    running ??= jobs.queueStats().finally(() => {
      running = undefined;
    });
    return running;
  };
  metrics.gauge(
    'promptline_live_connections',
    'Open live-update streams (GET …/environments/{env}/stream), by environment name (all projects together).',
    ['environment'],
    () =>
      [...updates.connectionsByEnvironment()].map(([environment, value]) => ({
        labels: { environment },
        value,
      })),
  );
  metrics.gauge(
    'promptline_jobs',
    'Background jobs by kind and status: queued (waiting or backing off), running, failed (kept 30 days). Read from the database when scraped.',
    ['kind', 'status'],
    async () =>
      (await queue()).jobs.map(({ kind, status, count }) => ({ labels: { kind, status }, value: count })),
  );
  metrics.gauge(
    'promptline_jobs_oldest_due_seconds',
    'Per job kind, how long the oldest queued job has been due without being taken (0: none waiting). Read from the database when scraped.',
    ['kind'],
    async () =>
      (await queue()).oldestDueSeconds.map(({ kind, seconds }) => ({ labels: { kind }, value: seconds })),
  );
  metrics.gauge(
    'promptline_database_info',
    'The database this instance uses (value 1), by dialect: sqlite or postgres.',
    ['dialect'],
    () => [{ labels: { dialect: database.dialect }, value: 1 }],
  );
  const poolStats = database.poolStats;
  if (poolStats) {
    metrics.gauge(
      'promptline_db_pool_connections',
      'PostgreSQL pool: connections open (total), idle, and the pool size (max). Absent on SQLite (one connection, no pool).',
      ['state'],
      () => {
        const pool = poolStats();
        return [
          { labels: { state: 'total' }, value: pool.total },
          { labels: { state: 'idle' }, value: pool.idle },
          { labels: { state: 'max' }, value: pool.max },
        ];
      },
    );
    metrics.gauge(
      'promptline_db_pool_waiting',
      'PostgreSQL pool: queries waiting for a free connection (above 0 for long: the pool is too small or queries are slow).',
      [],
      () => [{ labels: {}, value: poolStats().waiting }],
    );
  }
  metrics.gauge(
    'promptline_gateway_spans',
    "The gateway's span recorder: spans recorded, written, lost (failed: refused as invalid or failed twice; dropped: buffer full) and buffered now.",
    ['state'],
    () => {
      const stats = recorder.stats();
      return [
        { labels: { state: 'recorded' }, value: stats.recorded },
        { labels: { state: 'written' }, value: stats.written },
        { labels: { state: 'failed' }, value: stats.failed },
        { labels: { state: 'dropped' }, value: stats.dropped },
        { labels: { state: 'buffered' }, value: stats.buffered },
      ];
    },
  );
}
