/**
 * Online evaluations through the real app on both databases: rules over HTTP, sampling inside the
 * ingest transaction, grading by the real job runner with the eval engine (deterministic checks,
 * the mock judge, a scripted OpenAI-compatible judge over real HTTP), scores in /metrics, the
 * daily judge budget, retries of a failing judge.
 */
import { startWireServer, type WireServer } from '@promptline/core/test-helpers/wire-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeServer, p, type TestClient } from '../test-helpers/index.ts';
import { testSpan } from '../traces/test-spans.ts';
import { eventually } from '../webhooks/test-receiver.ts';

/** Smallest k with P(X ≤ k) ≥ tail and largest k with P(X ≥ k) ≥ tail, X ~ Binomial(n, rate). */
function binomialInterval(n: number, rate: number, tail: number): [number, number] {
  const logFactorial = [0];
  for (let i = 1; i <= n; i++) logFactorial.push((logFactorial[i - 1] ?? 0) + Math.log(i));
  const pmf = (k: number) =>
    Math.exp(
      (logFactorial[n] ?? 0) -
        (logFactorial[k] ?? 0) -
        (logFactorial[n - k] ?? 0) +
        k * Math.log(rate) +
        (n - k) * Math.log(1 - rate),
    );
  let low = 0;
  for (let cdf = 0; low <= n; low++) {
    cdf += pmf(low);
    if (cdf >= tail) break;
  }
  let high = n;
  for (let sf = 0; high >= 0; high--) {
    sf += pmf(high);
    if (sf >= tail) break;
  }
  return [low, high];
}

const judgeAnswer = (content: string) => ({
  id: 'chatcmpl-judge',
  object: 'chat.completion',
  model: 'judge-1',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
});

let judges: WireServer[] = [];
beforeAll(async () => {
  // Under `/flaky-<dialect>`: answers 500 twice, then a passing rubric verdict; `/broken` always fails.
  const calls = new Map<string, number>();
  judges = [
    await startWireServer((request, response) => {
      const prefix = request.url.split('/')[1] ?? '';
      const seen = calls.get(prefix) ?? 0;
      calls.set(prefix, seen + 1);
      if (prefix === 'broken' || seen < 2) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'judge overloaded' } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(judgeAnswer('{"pass": true, "score": 0.9, "reason": "on topic"}')));
    }),
  ];
});
afterAll(async () => {
  await Promise.all(judges.map((j) => j.close()));
});

const rule = (api: TestClient, prompt: string, body: Record<string, unknown>) =>
  api.post(`${p(prompt)}/online-evals`, body);

async function promptWithVersion(api: TestClient, name: string) {
  const created = await api.post('/api/v1/prompts', {
    name,
    version: { type: 'text', template: 'Answer: {{question}}' },
  });
  expect(created.status).toBe(201);
}

const linked = (prompt: string, extra: Record<string, unknown> = {}, environment = 'production') =>
  testSpan({
    prompt: { name: prompt, version: 1, environment },
    input: 'What is the capital of France?',
    output: 'Paris is the capital.',
    variables: { question: 'What is the capital of France?' },
    ...extra,
  });

const today = (api: TestClient, id: number) => api.get(`/api/v1/online-evals/${id}`);

describeServer(
  (ctx, dialect) => {
    it('creates, lists, shows, changes and deletes a rule, audited; bad input is a problem with a stable code', async () => {
      const { api } = ctx();
      await promptWithVersion(api, 'online/crud');
      const created = await rule(api, 'online/crud', {
        name: 'quality',
        environment: 'production',
        samplingRate: 0.5,
        assertions: [{ type: 'contains', value: 'Paris' }],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        prompt: 'online/crud',
        name: 'quality',
        version: null,
        judge: null,
        dailyBudgetUsd: 1,
        enabled: true,
        pending: 0,
        lastError: null,
        today: { sampled: 0, evaluated: 0, errors: 0, failed: 0, skippedBudget: 0, costUsd: 0 },
      });
      const id = created.body.id;

      const bad = await rule(api, 'online/crud', {
        name: 'bad name!',
        environment: 'production',
        samplingRate: 1.5,
        assertions: [
          { type: 'python', value: 'x' },
          { type: 'select-best', value: 'x' },
          { type: 'llm-rubric', value: 'nice' },
        ],
      });
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      const paths = bad.body.errors.map((e: { path: string }) => e.path);
      expect(paths).toEqual(
        expect.arrayContaining(['name', 'samplingRate', 'assertions.0', 'assertions.1', 'judge']),
      );

      const fileCode = await rule(api, 'online/crud', {
        name: 'code',
        environment: 'production',
        samplingRate: 1,
        assertions: [{ type: 'javascript', value: 'file:///etc/evaluator.js' }],
      });
      expect(fileCode.status).toBe(422);
      expect(fileCode.body.errors[0].message).toMatch(/inline code only/);

      const base = {
        name: 'x',
        environment: 'production',
        samplingRate: 1,
        assertions: [{ type: 'is-json' }],
      };
      expect((await rule(api, 'online/none', base)).body.code).toBe('PROMPT_NOT_FOUND');
      expect((await rule(api, 'online/crud', { ...base, environment: 'nowhere' })).body.code).toBe(
        'ENVIRONMENT_NOT_FOUND',
      );
      expect((await rule(api, 'online/crud', { ...base, version: 9 })).body.code).toBe('VERSION_NOT_FOUND');
      const twice = await rule(api, 'online/crud', { ...base, name: 'quality' });
      expect(twice.status).toBe(409);
      expect(twice.body.code).toBe('ONLINE_EVAL_EXISTS');

      const changed = await api.patch(`/api/v1/online-evals/${id}`, { samplingRate: 0.1, enabled: false });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ samplingRate: 0.1, enabled: false });
      const needsJudge = await api.patch(`/api/v1/online-evals/${id}`, {
        assertions: [{ type: 'llm-rubric', value: 'polite' }],
      });
      expect(needsJudge.status).toBe(422);
      expect(needsJudge.body.errors[0].path).toBe('judge');

      const list = await api.get(`${p('online/crud')}/online-evals`);
      expect(list.body.items.map((r: { name: string }) => r.name)).toEqual(['quality']);
      expect((await today(api, id)).body).toMatchObject({ id, samplingRate: 0.1, days: [] });

      expect((await api.delete(`/api/v1/online-evals/${id}`)).body).toEqual({ deleted: true });
      const gone = await today(api, id);
      expect(gone.status).toBe(404);
      expect(gone.body.code).toBe('ONLINE_EVAL_NOT_FOUND');
      const audit = (await api.get('/api/v1/audit?limit=50')).body.items.map(
        (e: { action: string }) => e.action,
      );
      expect(audit).toEqual(
        expect.arrayContaining(['online_eval.create', 'online_eval.update', 'online_eval.delete']),
      );
    });

    it('a deterministic rule writes eval scores on the span, counted in /metrics per assertion and usable by an alert', async () => {
      const { api } = ctx();
      await promptWithVersion(api, 'online/checks');
      const alert = await api.post('/api/v1/alerts', {
        name: 'paris mentions drop',
        prompt: 'online/checks',
        metric: 'scoreMean',
        score: 'mentions_paris',
        windowMinutes: 10,
        condition: { type: 'threshold', operator: 'lt', value: 0.8 },
        minSamples: 2,
      });
      expect(alert.status).toBe(201);
      const created = await rule(api, 'online/checks', {
        name: 'checks',
        environment: 'production',
        version: 1,
        samplingRate: 1,
        assertions: [
          { type: 'contains', value: 'Paris', metric: 'mentions_paris' },
          { type: 'is-json' },
          { type: 'javascript', value: 'output.length < 40' },
        ],
      });
      const id = created.body.id;
      const spans = [
        linked('online/checks'),
        linked('online/checks', { output: '{"city": "Lyon"}' }),
        // Another version: not this rule's.
        linked('online/checks', { prompt: { name: 'online/checks', version: 2, environment: 'production' } }),
      ];
      await api.post('/api/v1/traces', { spans });
      await eventually(
        () => today(api, id),
        (r) => r.body.today.evaluated === 2 && r.body.pending === 0,
      );
      const [paris] = spans;
      const trace = await api.get(`/api/v1/traces/${paris?.traceId}`);
      const scores = trace.body.spans[0].scores.map((s: { name: string; value: unknown; source: string }) => [
        s.name,
        s.value,
        s.source,
      ]);
      expect(scores).toEqual(
        expect.arrayContaining([
          ['mentions_paris', 1, 'eval'],
          ['checks.is-json', 0, 'eval'],
          ['checks.javascript', 1, 'eval'],
        ]),
      );
      const metrics = (await api.get(`${p('online/checks')}/metrics?env=production`)).body.versions;
      const v1 = metrics.find((v: { version: number }) => v.version === 1);
      expect(v1.scores).toMatchObject({
        mentions_paris: { mean: 0.5, count: 2 },
        'checks.is-json': { mean: 0.5, count: 2 },
        'checks.javascript': { mean: 1, count: 2 },
      });
      expect(metrics.find((v: { version: number }) => v.version === 2)?.scores ?? {}).toEqual({});
      // The eval scores' mean (0.5 over 2) is under the alert's 0.8: it fires.
      const fired = await eventually(
        () => api.get(`/api/v1/alerts/${alert.body.id}`),
        (r) => r.body.state === 'firing',
        30_000,
      );
      expect(fired.body.lastValue).toBe(0.5);
    });

    it('a judge rule (mock judge) produces eval scores visible in /metrics', async () => {
      const { api } = ctx();
      await promptWithVersion(api, 'online/judged');
      const created = await rule(api, 'online/judged', {
        name: 'rubric',
        environment: 'production',
        samplingRate: 1,
        assertions: [{ type: 'llm-rubric', value: 'Answers the question' }],
        judge: { provider: 'mock', model: 'judge' },
      });
      const id = created.body.id;
      await api.post('/api/v1/traces', { spans: [linked('online/judged'), linked('online/judged')] });
      const done = await eventually(
        () => today(api, id),
        (r) => r.body.today.evaluated === 2,
      );
      expect(done.body.today.errors).toBe(0);
      const scores = (await api.get(`${p('online/judged')}/metrics?env=production`)).body.versions[0].scores;
      expect(scores['rubric.llm-rubric'].count).toBe(2);
      expect(scores['rubric.llm-rubric'].mean).toBeGreaterThanOrEqual(0);
      expect(scores['rubric.llm-rubric'].mean).toBeLessThanOrEqual(1);
    });

    it('stops judging once the day’s judge cost reaches the budget (priced mock judge), counting the rest as skipped', async () => {
      const { api } = ctx();
      await promptWithVersion(api, 'online/budget');
      // $1 000 per million tokens: a judge call of a few hundred tokens costs tenths of a dollar.
      const prices = await api.put('/api/v1/prices', {
        items: [{ provider: 'mock', pattern: 'priced-judge', input: 1_000, output: 1_000 }],
      });
      expect(prices.status).toBe(200);
      const budget = 0.5;
      const created = await rule(api, 'online/budget', {
        name: 'costly',
        environment: 'production',
        samplingRate: 1,
        assertions: [{ type: 'llm-rubric', value: 'Answers the question' }],
        judge: { provider: 'mock', model: 'priced-judge' },
        dailyBudgetUsd: budget,
      });
      const id = created.body.id;
      const spans = Array.from({ length: 8 }, () => linked('online/budget'));
      await api.post('/api/v1/traces', { spans });
      const done = await eventually(
        () => today(api, id),
        (r) => r.body.pending === 0 && r.body.today.evaluated + r.body.today.skippedBudget === 8,
      );
      const { evaluated, skippedBudget, costUsd } = done.body.today;
      expect(evaluated).toBeGreaterThanOrEqual(1);
      expect(skippedBudget).toBeGreaterThanOrEqual(1);
      // Every call costs the same: judging stopped at the first call that reached the budget.
      const perCall = costUsd / evaluated;
      expect(perCall).toBeGreaterThan(0);
      expect(costUsd).toBeGreaterThanOrEqual(budget);
      expect(costUsd - perCall).toBeLessThan(budget);
      const scores = (await api.get(`${p('online/budget')}/metrics?env=production`)).body.versions[0].scores;
      expect(scores['costly.llm-rubric'].count).toBe(evaluated);
    });

    it('a failing judge is retried with backoff by the job runner and recorded; one that never answers ends failed', async () => {
      const { api } = ctx();
      const [judge] = judges;
      if (!judge) throw new Error('no judge server');
      await promptWithVersion(api, 'online/flaky');
      for (const [name, path] of [
        ['flaky', `/flaky-${dialect}/v1`],
        ['broken', '/broken/v1'],
      ] as const) {
        const stored = await api.put(`/api/v1/providers/${name}`, {
          kind: 'openai-compatible',
          baseUrl: `${judge.url}${path}`,
          apiKey: 'sk-judge',
        });
        expect(stored.status).toBe(200);
      }
      const flaky = await rule(api, 'online/flaky', {
        name: 'flaky',
        environment: 'production',
        samplingRate: 1,
        assertions: [{ type: 'llm-rubric', value: 'Answers the question' }],
        judge: { provider: 'flaky', model: 'judge-1' },
      });
      await api.post('/api/v1/traces', { spans: [linked('online/flaky')] });
      const recovered = await eventually(
        () => today(api, flaky.body.id),
        (r) => r.body.today.evaluated === 1,
      );
      expect(recovered.body.today).toMatchObject({ evaluated: 1, errors: 2, failed: 0 });
      expect(recovered.body.lastError.message).toMatch(/judge flaky\/judge-1: .*500|overloaded/);
      const scores = (await api.get(`${p('online/flaky')}/metrics?env=production`)).body.versions[0].scores;
      expect(scores['flaky.llm-rubric']).toEqual({ mean: 0.9, count: 1 });

      await api.patch(`/api/v1/online-evals/${flaky.body.id}`, { enabled: false });
      const broken = await rule(api, 'online/flaky', {
        name: 'broken',
        environment: 'production',
        samplingRate: 1,
        assertions: [{ type: 'llm-rubric', value: 'Answers the question' }],
        judge: { provider: 'broken', model: 'judge-1' },
      });
      await api.post('/api/v1/traces', { spans: [linked('online/flaky')] });
      const failed = await eventually(
        () => today(api, broken.body.id),
        (r) => r.body.today.failed === 1,
        20_000,
      );
      // Five attempts (the runner's maximum for this job), each an error, then given up.
      expect(failed.body.today).toMatchObject({ evaluated: 0, errors: 5, failed: 1 });
      expect(failed.body.pending).toBe(0);
      const jobs = await api.get('/api/v1/jobs?kind=online-evals.grade&status=failed');
      expect(jobs.body.items.length).toBeGreaterThanOrEqual(1);
    }, 30_000);

    it('samples at the configured rate (2 000 spans, 99.99 % binomial interval), never twice on a resend, and grades every sampled span', async () => {
      const { api } = ctx();
      await promptWithVersion(api, 'online/sample');
      const rate = 0.25;
      const created = await rule(api, 'online/sample', {
        name: 'paris',
        environment: 'production',
        samplingRate: rate,
        assertions: [{ type: 'icontains', value: 'paris', metric: 'sample_paris' }],
      });
      const id = created.body.id;
      const batches = [0, 1].map(() => Array.from({ length: 1_000 }, () => linked('online/sample')));
      for (const spans of batches) expect((await api.post('/api/v1/traces', { spans })).status).toBe(202);
      // Resent (a client retry) and spans of another environment: nothing more is sampled.
      expect((await api.post('/api/v1/traces', { spans: batches[0] })).status).toBe(202);
      const staging = Array.from({ length: 200 }, () => linked('online/sample', {}, 'staging'));
      expect((await api.post('/api/v1/traces', { spans: staging })).status).toBe(202);

      const sampled = (await today(api, id)).body.today.sampled as number;
      const [low, high] = binomialInterval(2_000, rate, 0.00005);
      expect(low).toBeGreaterThan(400);
      expect(high).toBeLessThan(600);
      expect(sampled).toBeGreaterThanOrEqual(low);
      expect(sampled).toBeLessThanOrEqual(high);

      const done = await eventually(
        () => today(api, id),
        (r) => r.body.pending === 0 && r.body.today.evaluated === sampled,
        // Generous: on a loaded machine PostgreSQL grades a few spans a second (the bench has figures).
        240_000,
      );
      expect(done.body.today).toMatchObject({
        sampled,
        evaluated: sampled,
        failed: 0,
        errors: 0,
        costUsd: 0,
      });
      const metrics = await api.get(`${p('online/sample')}/metrics?env=production`);
      expect(metrics.body.versions[0].scores.sample_paris).toEqual({ mean: 1, count: sampled });
    }, 300_000);
  },
  { jobs: { pollMs: 20, backoffMs: 20, maxBackoffMs: 200 }, alerts: { everySeconds: 1 } },
);
