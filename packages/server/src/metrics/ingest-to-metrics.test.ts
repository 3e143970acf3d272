/** End to end: spans posted to the native trace API show in the prompt's metrics at once. */
import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';
import { testSpan } from '../traces/test-spans.ts';

describeServer((ctx) => {
  it('a batch acknowledged by POST /api/v1/traces counts in GET …/metrics immediately, once even if re-sent', async () => {
    const { api } = ctx();
    const prompt = { name: 'e2e/answer', version: 3, environment: 'production' };
    const spans = [
      testSpan({ prompt, model: 'gpt-4o-mini', usage: { input: 100, output: 20 }, costUsd: 0.002 }, 0),
      testSpan({ prompt, status: 'error', usage: { input: 50, output: 0 } }, 0),
      testSpan({ prompt: { ...prompt, version: 4 }, usage: { input: 1, output: 1 } }, 0),
      testSpan({ name: 'no prompt' }, 0),
    ];
    const posted = await api.post('/api/v1/traces', { spans });
    expect(posted.status).toBe(202);
    // At-least-once senders retry: the same spans again must not count twice.
    expect((await api.post('/api/v1/traces', { spans })).status).toBe(202);

    const res = await api.get(
      `${p('e2e/answer')}/metrics?env=production&interval=1m&from=${new Date(Date.now() - 600_000).toISOString()}`,
    );
    expect(res.status).toBe(200);
    const [v4, v3] = res.body.versions;
    expect(v4).toMatchObject({ version: 4, count: 1, errors: 0 });
    expect(v3).toMatchObject({ version: 3, count: 2, errors: 1, tokens: { input: 150, output: 20 } });
    expect(v3.costUsd).toBeCloseTo(0.002, 9);
    // testSpan lasts one second.
    expect(Math.abs(v3.latencyMs.p50 - 1000) / 1000).toBeLessThan(0.091);
    expect(v3.series.reduce((n: number, point: { count: number }) => n + point.count, 0)).toBe(2);
  });

  it('scores posted to POST /api/v1/scores count for the version of their span', async () => {
    const { api } = ctx();
    const prompt = { name: 'e2e/scored', version: 7, environment: 'production' };
    const scored = testSpan({ prompt }, 0);
    const other = testSpan({ prompt: { ...prompt, version: 8 } }, 0);
    expect((await api.post('/api/v1/traces', { spans: [scored, other] })).status).toBe(202);
    for (const [name, value] of [
      ['helpfulness', 4],
      ['helpfulness', 2],
      ['thumbs', true],
      ['topic', 'billing'],
    ] as const) {
      const res = await api.post('/api/v1/scores', {
        traceId: scored.traceId,
        spanId: scored.spanId,
        name,
        value,
      });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    }
    const metrics = await api.get(`${p('e2e/scored')}/metrics?env=production&interval=1h`);
    const [v8, v7] = metrics.body.versions;
    expect(v8).toMatchObject({ version: 8, scores: {} });
    expect(v7.scores).toEqual({
      helpfulness: { mean: 3, count: 2 },
      thumbs: { mean: 1, count: 1 },
      topic: { mean: null, count: 1, values: { billing: 1 } },
    });
    const compare = await api.get(`${p('e2e/scored')}/metrics/compare?env=production&a=8&b=7`);
    expect(compare.body.b.scores.helpfulness).toMatchObject({
      n: 2,
      sum: 6,
      sumSq: 20,
      mean: 3,
      variance: 2,
    });
  });
});
