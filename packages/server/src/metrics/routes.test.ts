import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { createAuditService } from '../audit/service.ts';
import { createManualClock, describeServer, p } from '../test-helpers/index.ts';
import type { SpanRecorded } from '../traces/sink.ts';
import { createMetricsService } from './service.ts';

const NOW = '2026-05-04T12:30:00.000Z';
const clock = createManualClock(new Date(NOW));
const at = (iso: string) => Date.parse(iso);

const span = (overrides: Partial<SpanRecorded>): SpanRecorded => ({
  projectId: 1,
  promptName: 'support/triage',
  promptVersion: 1,
  environment: 'production',
  provider: 'openai',
  model: 'gpt-4o-mini',
  startMs: at('2026-05-04T12:00:00.000Z'),
  durationMs: 100,
  status: 'ok',
  inputTokens: 10,
  outputTokens: 5,
  cachedInputTokens: 0,
  costUsd: 0.001,
  contractViolation: null,
  ...overrides,
});

describeServer(
  (ctx) => {
    /** Writes spans the way trace ingestion does: through the sink, in a transaction. */
    async function write(spans: SpanRecorded[]) {
      const { database } = ctx().server;
      const metrics = createMetricsService({
        database,
        clock,
        audit: createAuditService({ database, clock }),
      });
      await database.db.transaction().execute((trx) => metrics.sink.spansWritten(trx, spans));
      return metrics;
    }

    it('answers totals and a dense series per version in the shape DESIGN.md gives, the current minute included', async () => {
      const metrics = await write([
        span({ startMs: at('2026-05-04T11:10:00.000Z'), durationMs: 200 }),
        span({ startMs: at('2026-05-04T11:10:30.000Z'), durationMs: 400, status: 'error', costUsd: 0.002 }),
        span({ promptVersion: 2, startMs: at('2026-05-04T12:29:59.000Z'), durationMs: 1000 }),
        span({ environment: 'staging', startMs: at('2026-05-04T12:00:00.000Z') }),
        span({ promptName: 'other', startMs: at('2026-05-04T12:00:00.000Z') }),
      ]);
      await ctx()
        .server.database.db.transaction()
        .execute((trx) =>
          metrics.sink.scoreWritten(trx, {
            ...span({}),
            spanStartMs: at('2026-05-04T11:10:00.000Z'),
            name: 'helpfulness',
            value: 4,
            source: 'user',
          }),
        );
      const res = await ctx().api.get(`${p('support/triage')}/metrics?env=production`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        prompt: 'support/triage',
        environment: 'production',
        interval: '5m',
        to: '2026-05-04T12:35:00.000Z',
        from: '2026-05-03T12:30:00.000Z',
      });
      const [v2, v1] = res.body.versions;
      expect(v2).toMatchObject({ version: 2, count: 1, errors: 0, tokens: { input: 10, output: 5 } });
      // One span of 1 s: every percentile is the middle of its bucket, within 9.1 %.
      expect(Math.abs(v2.latencyMs.p95 - 1000) / 1000).toBeLessThan(0.091);
      // 24 h rounded out to 5 minutes: the current interval (12:30) is the last point.
      expect(v2.series).toHaveLength(289);
      expect(v2.series.at(-1)).toMatchObject({ t: '2026-05-04T12:30:00.000Z', count: 0 });
      expect(v2.series.at(-2)).toMatchObject({ t: '2026-05-04T12:25:00.000Z', count: 1 });
      expect(v1).toMatchObject({
        version: 1,
        count: 2,
        errors: 1,
        scores: { helpfulness: { mean: 4, count: 1 } },
      });
      expect(v1.costUsd).toBeCloseTo(0.003, 9);
      expect(v1.latencyMs.p50).toBeLessThan(v1.latencyMs.p99);
      const point = v1.series.find((s: { t: string }) => s.t === '2026-05-04T11:10:00.000Z');
      expect(point).toMatchObject({ count: 2, errors: 1, scores: { helpfulness: { mean: 4, count: 1 } } });
      expect(v1.series.filter((s: { count: number }) => s.count === 0)).toHaveLength(288);

      // Without env: all environments together; an unencoded "/" in the name works too.
      const all = await ctx().api.get('/api/v1/prompts/support/triage/metrics?interval=1h');
      expect(all.status).toBe(200);
      expect(all.body.versions.map((v: { count: number }) => v.count)).toEqual([1, 3]);
      expect(all.body.versions[0].series).toHaveLength(25);
    });

    it('compares two versions with the moments a sequential test needs', async () => {
      await write([
        span({ promptName: 'cmp', durationMs: 100, costUsd: 0.01 }),
        span({ promptName: 'cmp', durationMs: 300, costUsd: 0.03, status: 'error' }),
        span({ promptName: 'cmp', promptVersion: 2, durationMs: 50, costUsd: null }),
      ]);
      const res = await ctx().api.get(`${p('cmp')}/metrics/compare?env=production&a=1&b=2`);
      expect(res.status).toBe(200);
      const { a, b } = res.body;
      expect(a).toMatchObject({ version: 1, count: 2, errors: 1, errorRate: 0.5 });
      expect(a.errorMoments).toMatchObject({ n: 2, sum: 1, sumSq: 1, mean: 0.5, variance: 0.5 });
      expect(a.latencyMs.moments).toMatchObject({
        n: 2,
        sum: 400,
        sumSq: 100_000,
        mean: 200,
        variance: 20_000,
      });
      expect(a.costPerCall).toBeCloseTo(0.02, 9);
      expect(b).toMatchObject({
        version: 2,
        count: 1,
        errorRate: 0,
        costPerCall: null,
        costMoments: { n: 0 },
      });
      expect(b.latencyMs.moments.variance).toBeNull();
      const none = await ctx().api.get(`${p('cmp')}/metrics/compare?a=7&b=8`);
      expect(none.body.a).toMatchObject({ version: 7, count: 0, errorRate: null, latencyMs: { p95: null } });
    });

    it('refuses empty windows and series too long to answer, with stable codes', async () => {
      const api = ctx().api;
      const empty = await api.get(`${p('x')}/metrics?from=2026-05-04T10:00:00Z&to=2026-05-04T09:00:00Z`);
      expect(empty.status).toBe(422);
      expect(empty.body.code).toBe('METRICS_WINDOW_INVALID');
      const long = await api.get(`${p('x')}/metrics?from=2026-01-01T00:00:00Z&interval=1m`);
      expect(long.status).toBe(422);
      expect(long.body.code).toBe('METRICS_TOO_MANY_POINTS');
      const old = await api.get(
        `${p('x')}/metrics?from=2026-02-01T00:00:00Z&to=2026-02-01T12:00:00Z&interval=5m`,
      );
      expect(old.body.code).toBe('METRICS_WINDOW_INVALID');
      expect((await api.get(`${p('x')}/metrics?interval=2h`)).status).toBe(422);
      expect((await api.get(`${p('x')}/metrics/compare?a=1`)).status).toBe(422);
      // A week at the default interval is fine (hours).
      const week = await api.get(`${p('x')}/metrics?from=2026-04-27T12:30:00Z`);
      expect(week.body).toMatchObject({ interval: '1h', versions: [] });
    });

    it('keeps and audits the retention setting (admins only change it)', async () => {
      const api = ctx().api;
      expect((await api.get('/api/v1/metrics/settings')).body).toEqual({ rollupRetentionDays: 400 });
      expect((await api.put('/api/v1/metrics/settings', { rollupRetentionDays: 0 })).status).toBe(422);
      const put = await api.put('/api/v1/metrics/settings', { rollupRetentionDays: 90 });
      expect(put.body).toEqual({ rollupRetentionDays: 90 });
      expect((await api.get('/api/v1/metrics/settings')).body).toEqual({ rollupRetentionDays: 90 });
      const audit = await api.get('/api/v1/audit?target=metrics');
      expect(audit.body.items[0]).toMatchObject({
        action: 'metrics.settings.update',
        data: { rollupRetentionDays: 90 },
      });
    });

    it('the recurring job rolls closed hours up in the background', async () => {
      const { database } = ctx().server;
      const rolledUntil = async () =>
        Number(
          (await sql<{ r: unknown }>`select rolled_until as r from metric_rollup_state`.execute(database.db))
            .rows[0]?.r,
        );
      const deadline = Date.now() + 20_000;
      // The app's runner rolls up to the start of the current hour (12:00) at its first pass.
      while ((await rolledUntil()) !== at('2026-05-04T12:00:00.000Z') / 60_000 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await rolledUntil()).toBe(at('2026-05-04T12:00:00.000Z') / 60_000);
      const hourRows = await sql<{ n: unknown }>`select count(*) as n from metric_hour where bucket = ${
        at('2026-05-04T11:00:00.000Z') / 60_000
      }`.execute(database.db);
      expect(Number(hourRows.rows[0]?.n)).toBeGreaterThan(0);
    });
  },
  { clock },
);
