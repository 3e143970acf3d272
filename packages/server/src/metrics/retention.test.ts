import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { createAuditService } from '../audit/service.ts';
import { createManualClock, forEachDialect } from '../test-helpers/index.ts';
import type { SpanRecorded } from '../traces/sink.ts';
import { createMetricsService } from './service.ts';

const NOW = Date.parse('2026-06-01T12:30:00.000Z');
const DAY = 86_400_000;

const span = (projectId: number, daysAgo: number): SpanRecorded => ({
  projectId,
  promptName: 'p',
  promptVersion: 1,
  environment: 'production',
  provider: null,
  model: null,
  startMs: NOW - daysAgo * DAY,
  durationMs: 10,
  status: 'ok',
  inputTokens: 1,
  outputTokens: 1,
  cachedInputTokens: 0,
  costUsd: null,
  contractViolation: null,
});

forEachDialect((_dialect, get) => {
  it('removes exactly the rollups older than each project’s retention, minute rows only once rolled up', async () => {
    const database = get();
    const clock = createManualClock(new Date(NOW));
    const metrics = createMetricsService({ database, clock, audit: createAuditService({ database, clock }) });
    await database.exec(
      `insert into projects (id, name, created_at) values (1, 'one', '2026-01-01T00:00:00.000Z'), (2, 'two', '2026-01-01T00:00:00.000Z')`,
    );
    const ages = [500, 100, 40, 1];
    await database.db.transaction().execute(async (trx) => {
      await metrics.sink.spansWritten(trx, [...ages.map((d) => span(1, d)), ...ages.map((d) => span(2, d))]);
      await metrics.sink.scoreWritten(trx, {
        ...span(2, 100),
        spanStartMs: NOW - 100 * DAY,
        name: 'ok',
        value: true,
        source: 'api',
      });
    });
    await metrics.updateSettings(2, { rollupRetentionDays: 90 }, 'admin');

    const remaining = async (table: string, projectId: number) => {
      const rows = await sql<{
        bucket: unknown;
      }>`select bucket from ${sql.table(table)} where project_id = ${projectId} order by bucket`.execute(
        database.db,
      );
      return rows.rows.map((r) => Math.round((NOW - Number(r.bucket) * 60_000) / DAY));
    };

    // Nothing rolled up yet: old minute rows are the only copy, so retention keeps them.
    await metrics.applyRetention();
    expect(await remaining('metric_minute', 1)).toEqual([500, 100, 40, 1]);

    // Roll every closed hour up (a backlog takes several passes), then apply retention.
    for (let pass = 0; pass < 10; pass++) await metrics.rollUpHours();
    expect(await remaining('metric_hour', 1)).toEqual([500, 100, 40, 1]);
    await metrics.applyRetention();
    expect(await remaining('metric_hour', 1)).toEqual([100, 40, 1]);
    expect(await remaining('metric_minute', 1)).toEqual([1]);
    expect(await remaining('metric_hour', 2)).toEqual([40, 1]);
    expect(await remaining('metric_minute', 2)).toEqual([1]);
    expect(await remaining('metric_score_hour', 2)).toEqual([]);
    expect(await remaining('metric_score_minute', 2)).toEqual([]);

    // What is left still answers: the last 7 days from the hour and minute rollups.
    const answer = await metrics.promptMetrics(1, 'p', {
      from: new Date(NOW - 7 * DAY).toISOString(),
      interval: '1h',
    });
    expect(answer.versions[0]?.count).toBe(1);
  });
});
