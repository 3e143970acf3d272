/**
 * `GET /api/v1/metrics/summary` over HTTP: the answer's shape with spans sent through
 * `POST /api/v1/traces`, problem+json for bad input, and project scoping (a project's summary
 * holds nothing of another project's spans).
 */
import { expect, it } from 'vitest';
import { createManualClock, createTestClient, describeServer } from '../test-helpers/index.ts';

const NOW = '2026-06-10T12:30:00.000Z';
const clock = createManualClock(new Date(NOW));
let next = 0;

/** A span of `prompt` (none: null) that started `agoMin` minutes before NOW and took `ms`. */
function span(prompt: string | null, agoMin: number, ms: number, extra: Record<string, unknown> = {}) {
  next++;
  const start = Date.parse(NOW) - agoMin * 60_000;
  return {
    traceId: next.toString(16).padStart(32, '0'),
    spanId: next.toString(16).padStart(16, '0'),
    name: 'llm.call',
    startTime: start,
    endTime: start + ms,
    status: 'ok',
    ...(prompt ? { prompt: { name: prompt, version: 1, environment: 'production' } } : {}),
    usage: { input: 10, output: 5 },
    costUsd: 0.01,
    ...extra,
  };
}

describeServer(
  (ctx) => {
    it('answers the totals and the busiest prompts, each with a dense series of sums', async () => {
      const { api } = ctx();
      const sent = await api.post('/api/v1/traces', {
        spans: [
          span('support/triage', 70, 200),
          span('support/triage', 65, 400, {
            status: 'error',
            prompt: { name: 'support/triage', version: 2, environment: 'production' },
          }),
          span('support/triage', 1, 800),
          span('summarize', 5, 100),
          span('summarize', 5, 100, { prompt: { name: 'summarize', version: 1, environment: 'staging' } }),
          span(null, 3, 50),
        ],
      });
      expect(sent.status).toBe(202);
      const score = await api.post('/api/v1/scores', {
        traceId: (next - 2).toString(16).padStart(32, '0'),
        name: 'helpfulness',
        value: 4,
      });
      expect(score.status).toBe(201);

      const res = await api.get('/api/v1/metrics/summary?env=production');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        environment: 'production',
        interval: '5m',
        from: '2026-06-09T12:30:00.000Z',
        to: '2026-06-10T12:35:00.000Z',
      });
      const { totals, prompts } = res.body;
      // The span naming no prompt has no environment: only the unfiltered summary counts it.
      expect(totals).toMatchObject({
        prompts: 2,
        count: 4,
        errors: 1,
        errorRate: 0.25,
        tokens: { input: 40, output: 20 },
      });
      expect(totals.costUsd).toBeCloseTo(0.04, 9);
      expect(totals.series).toHaveLength(289);
      expect(prompts.map((x: { prompt: string }) => x.prompt)).toEqual(['support/triage', 'summarize']);
      const [triage, summarize] = prompts;
      expect(triage).toMatchObject({ versions: [2, 1], count: 3, errors: 1, errorRate: 1 / 3 });
      // Percentiles over all versions together: 200, 400 and 800 ms, each within 9.1 % of its bucket's middle.
      expect(Math.abs(triage.latencyMs.p50 - 400) / 400).toBeLessThan(0.091);
      expect(Math.abs(triage.latencyMs.p99 - 800) / 800).toBeLessThan(0.091);
      expect(summarize).toMatchObject({
        versions: [1],
        count: 1,
        scores: { helpfulness: { mean: 4, count: 1 } },
      });
      expect(triage.series.filter((s: { count: number }) => s.count > 0)).toEqual([
        {
          t: '2026-06-10T11:20:00.000Z',
          count: 1,
          errors: 0,
          tokens: { input: 10, output: 5, cachedInput: 0 },
          costUsd: 0.01,
        },
        {
          t: '2026-06-10T11:25:00.000Z',
          count: 1,
          errors: 1,
          tokens: { input: 10, output: 5, cachedInput: 0 },
          costUsd: 0.01,
        },
        {
          t: '2026-06-10T12:25:00.000Z',
          count: 1,
          errors: 0,
          tokens: { input: 10, output: 5, cachedInput: 0 },
          costUsd: 0.01,
        },
      ]);

      const all = await api.get('/api/v1/metrics/summary?interval=1h&limit=1');
      expect(all.body.environment).toBeNull();
      expect(all.body.totals).toMatchObject({ prompts: 2, count: 6 });
      expect(all.body.prompts.map((x: { prompt: string }) => x.prompt)).toEqual(['support/triage']);
      expect(all.body.totals.series).toHaveLength(25);

      const quiet = await api.get('/api/v1/metrics/summary?env=development');
      expect(quiet.body.totals).toMatchObject({
        prompts: 0,
        count: 0,
        errorRate: null,
        latencyMs: { p50: null },
      });
      expect(quiet.body.prompts).toEqual([]);
    });

    it('refuses bad windows and limits with problem+json and stable codes', async () => {
      const { api } = ctx();
      const empty = await api.get(
        '/api/v1/metrics/summary?from=2026-06-10T10:00:00Z&to=2026-06-10T09:00:00Z',
      );
      expect(empty.status).toBe(422);
      expect(empty.headers['content-type']).toContain('application/problem+json');
      expect(empty.body.code).toBe('METRICS_WINDOW_INVALID');
      expect((await api.get('/api/v1/metrics/summary?from=2026-01-01T00:00:00Z&interval=1m')).body.code).toBe(
        'METRICS_TOO_MANY_POINTS',
      );
      for (const bad of ['limit=0', 'limit=201', 'limit=many', 'interval=2h', 'from=yesterday']) {
        const res = await api.get(`/api/v1/metrics/summary?${bad}`);
        expect(res.status, bad).toBe(422);
        expect(res.body.code, bad).toBe('VALIDATION_FAILED');
      }
    });

    it("never holds another project's spans", async () => {
      const { api, server } = ctx();
      const created = await api.post('/api/v1/projects', { name: 'summary-beta' });
      expect(created.status).toBe(201);
      const beta = createTestClient(server.app, created.body.apiKey.key);
      expect((await beta.post('/api/v1/traces', { spans: [span('beta/only', 2, 300)] })).status).toBe(202);
      expect((await api.post('/api/v1/traces', { spans: [span('alpha/secret', 2, 300)] })).status).toBe(202);
      const b = await beta.get('/api/v1/metrics/summary?interval=1h');
      expect(b.body.totals).toMatchObject({ prompts: 1, count: 1 });
      expect(b.body.prompts.map((x: { prompt: string }) => x.prompt)).toEqual(['beta/only']);
      expect(JSON.stringify(b.body)).not.toContain('alpha/secret');
      const a = await api.get('/api/v1/metrics/summary?interval=1h');
      expect(a.body.prompts.map((x: { prompt: string }) => x.prompt)).toContain('alpha/secret');
      expect(JSON.stringify(a.body)).not.toContain('beta/only');
    });
  },
  { clock },
);
