/**
 * Concurrent writers: many ingest transactions adding to the same rollup rows at once, and hour
 * roll-ups running between them, neither deadlock nor lose a span (PostgreSQL runs them on
 * separate connections; SQLite serialises them).
 */
import { expect, it } from 'vitest';
import { createAuditService } from '../audit/service.ts';
import { createManualClock, forEachDialect } from '../test-helpers/index.ts';
import type { SpanRecorded } from '../traces/sink.ts';
import { createMetricsService } from './service.ts';

const HOUR = 3_600_000;
const START = Date.parse('2026-07-01T00:00:00.000Z');

forEachDialect((_dialect, get) => {
  it('parallel batches over the same groups and hour roll-ups in between count every span once', async () => {
    const database = get();
    const clock = createManualClock(new Date(START + 2 * HOUR));
    const metrics = createMetricsService({ database, clock, audit: createAuditService({ database, clock }) });
    const batches = Array.from({ length: 24 }, (_, b) =>
      Array.from(
        { length: 60 },
        (_, i): SpanRecorded => ({
          projectId: 1,
          promptName: 'hot',
          promptVersion: 1 + ((b + i) % 3),
          environment: 'production',
          provider: 'openai',
          // Batches list the same groups in different orders: the sink must lock in one order.
          model: ['a', 'b', 'c', 'd'][(i * (b + 1)) % 4] ?? 'a',
          // Half the spans fall in the first hour, which a roll-up may close while they are written.
          startMs: START + ((b * 60 + i) % 2) * HOUR + ((b * 7 + i) % 60) * 60_000,
          durationMs: 50 + i,
          status: i % 10 === 0 ? 'error' : 'ok',
          inputTokens: 1,
          outputTokens: 1,
          cachedInputTokens: 0,
          costUsd: null,
          contractViolation: null,
        }),
      ),
    );
    await Promise.all([
      ...batches.map((batch) =>
        database.db.transaction().execute((trx) => metrics.sink.spansWritten(trx, batch)),
      ),
      metrics.rollUpHours(),
      metrics.rollUpHours(),
    ]);
    await metrics.rollUpHours();
    const window = { from: new Date(START).toISOString(), to: new Date(START + 2 * HOUR).toISOString() };
    for (const interval of ['1h', '5m'] as const) {
      const answer = await metrics.promptMetrics(1, 'hot', { ...window, interval });
      expect(answer.versions.reduce((n, v) => n + v.count, 0)).toBe(24 * 60);
      expect(answer.versions.reduce((n, v) => n + v.errors, 0)).toBe(24 * 6);
    }
  });
});
