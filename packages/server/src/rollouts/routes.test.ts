import { expect, it } from 'vitest';
import { describeServer, p, type TestClient } from '../test-helpers/index.ts';
import { testSpan } from '../traces/test-spans.ts';

/** Spans of one version in an environment: `errors` of `count` failed, all starting now. */
function spans(name: string, env: string, version: number, count: number, errors: number) {
  return Array.from({ length: count }, (_, i) =>
    testSpan(
      {
        prompt: { name, version, environment: env },
        status: i < errors ? 'error' : 'ok',
        unit: `u-${version}-${i}`,
      },
      0,
    ),
  );
}

async function ingest(api: TestClient, batch: ReturnType<typeof spans>) {
  const answer = await api.post('/api/v1/traces', { spans: batch });
  expect(answer.status).toBe(202);
}

async function promptLive(api: TestClient, name: string, env = 'production', versions = 2) {
  expect(
    (await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'v1 {{x}}' } })).status,
  ).toBe(201);
  for (let v = 2; v <= versions; v++) {
    expect((await api.post(`${p(name)}/versions`, { type: 'text', template: `v${v} {{x}}` })).status).toBe(
      201,
    );
  }
  expect((await api.put(`${p(name)}/deployments/${env}`, { version: 1 })).status).toBe(200);
}

/** Polls the rollout until `done` holds (checks run every second in these tests). */
async function until(api: TestClient, id: number, done: (r: { status: string; step: number }) => boolean) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = (await api.get(`/api/v1/rollouts/${id}`)).body;
    if (done(r)) return r;
    if (Date.now() > deadline) throw new Error(`rollout ${id} stayed ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeServer(
  (ctx) => {
    it('refuses a plan it cannot run: unknown metric, shrinking steps, no control, the same version, a second rollout', async () => {
      const { api } = ctx();
      await promptLive(api, 'ro/refusals');
      const url = `${p('ro/refusals')}/rollouts`;
      const metric = await api.post(url, {
        env: 'production',
        version: 2,
        guardrails: [{ metric: 'p95', maxRegression: 0.1 }],
      });
      expect(metric.status).toBe(422);
      expect(metric.body).toMatchObject({
        code: 'INVALID_ROLLOUT',
        errors: [{ path: 'guardrails.0.metric' }],
      });
      const shrinking = await api.post(url, {
        env: 'production',
        version: 2,
        steps: [
          { weight: 5000, durationSeconds: 1 },
          { weight: 1000, durationSeconds: 1 },
        ],
      });
      expect(shrinking.body).toMatchObject({ code: 'INVALID_ROLLOUT', errors: [{ path: 'steps.1.weight' }] });
      expect((await api.post(url, { env: 'staging', version: 2 })).body.code).toBe('ROLLOUT_NO_CONTROL');
      expect((await api.post(url, { env: 'production', version: 1 })).body.code).toBe('ROLLOUT_NO_CONTROL');
      expect((await api.post(url, { env: 'production', version: 9 })).body.code).toBe('VERSION_NOT_FOUND');
      const started = await api.post(url, {
        env: 'production',
        version: 2,
        steps: [{ weight: 500, durationSeconds: 3600 }],
      });
      expect(started.status).toBe(201);
      expect(started.body).toMatchObject({ status: 'running', step: 0, candidate: 2, control: 1 });
      const again = await api.post(url, { env: 'production', version: 2 });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('ROLLOUT_ACTIVE');
      expect((await api.post(`/api/v1/rollouts/${started.body.id}/abort`)).status).toBe(200);
    });

    it('rolls back a candidate that fails 40 % of calls against 2 %, with the evidence in the history entry', async () => {
      const { api } = ctx();
      const name = 'ro/regress';
      await promptLive(api, name);
      const started = await api.post(`${p(name)}/rollouts`, {
        env: 'production',
        version: 2,
        steps: [
          { weight: 5000, durationSeconds: 3600 },
          { weight: 10_000, durationSeconds: 0 },
        ],
        guardrails: [{ metric: 'errorRate', maxRegression: 0.05 }],
        onRegression: 'rollback',
      });
      expect(started.status).toBe(201);
      const live = (await api.get(`${p(name)}/deployments/production`)).body;
      expect(live.variants).toEqual([
        { version: 2, weight: 5000 },
        { version: 1, weight: 5000 },
      ]);
      await ingest(api, [...spans(name, 'production', 1, 200, 4), ...spans(name, 'production', 2, 100, 40)]);

      const r = await until(api, started.body.id, (x) => x.status !== 'running');
      expect(r.status).toBe('rolled_back');
      expect(r.guardrails[0]).toMatchObject({
        metric: 'errorRate',
        verdict: 'regression',
        n: { control: 200, candidate: 100 },
      });
      expect(r.reason).toMatch(
        /error rate 40\.0% vs 2\.0%, \+38\.0 pts, bound \+\d+\.\d pts > tolerance \+0\.1 pts, n = 100\/200/,
      );
      const entry = (await api.get(`${p(name)}/deployments/production/history`)).body.items[0];
      expect(entry).toMatchObject({ action: 'rollback', version: 1, actor: `rollout ${started.body.id}` });
      expect(entry.reason).toBe(r.reason);
      expect(r.events.map((e: { kind: string }) => e.kind)).toEqual(['start', 'rollback']);

      // The guardrail history ends on the regression that decided the rollback, with its interval.
      const checks = await api.get(`/api/v1/rollouts/${started.body.id}/checks`);
      expect(checks.status).toBe(200);
      expect(checks.body.guardrails.map((g: { metric: string }) => g.metric)).toEqual(['errorRate']);
      const points = checks.body.guardrails[0].points;
      expect(points.at(-1)).toMatchObject({
        verdict: 'regression',
        step: 0,
        n: { control: 200, candidate: 100 },
        interval: r.guardrails[0].interval,
        threshold: r.guardrails[0].threshold,
      });
      expect(points.at(-1).interval[0]).toBeGreaterThan(points.at(-1).threshold);
      // Checks before the spans arrived found nothing new after the first: at most one such point.
      expect(
        points.filter((x: { n: { candidate: number } }) => x.n.candidate === 0).length,
      ).toBeLessThanOrEqual(1);
      expect((await api.get('/api/v1/rollouts/999999/checks')).body.code).toBe('ROLLOUT_NOT_FOUND');
    });

    it('pauses instead when told to, leaving the split live', async () => {
      const { api } = ctx();
      const name = 'ro/pause-on-regression';
      await promptLive(api, name);
      const started = await api.post(`${p(name)}/rollouts`, {
        env: 'production',
        version: 2,
        steps: [{ weight: 2000, durationSeconds: 3600 }],
        guardrails: [{ metric: 'errorRate', maxRegression: 0.05 }],
        onRegression: 'pause',
      });
      await ingest(api, [...spans(name, 'production', 1, 200, 2), ...spans(name, 'production', 2, 60, 30)]);
      const r = await until(api, started.body.id, (x) => x.status !== 'running');
      expect(r.status).toBe('paused');
      expect(r.reason).toMatch(/^paused on regression: error rate 50\.0% vs 1\.0%/);
      expect((await api.get(`${p(name)}/deployments/production`)).body.variants[0]).toEqual({
        version: 2,
        weight: 2000,
      });
    });

    it('advances through its steps on healthy traffic and completes at 100 %', async () => {
      const { api } = ctx();
      const name = 'ro/healthy';
      await promptLive(api, name);
      const started = await api.post(`${p(name)}/rollouts`, {
        env: 'production',
        version: 2,
        steps: [
          { weight: 1000, durationSeconds: 0 },
          { weight: 5000, durationSeconds: 0 },
          { weight: 10_000, durationSeconds: 0 },
        ],
        guardrails: [{ metric: 'errorRate', maxRegression: 0.1 }],
        minSamples: 50,
      });
      // Below minSamples nothing moves.
      await ingest(api, [...spans(name, 'production', 1, 100, 1), ...spans(name, 'production', 2, 20, 0)]);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect((await api.get(`/api/v1/rollouts/${started.body.id}`)).body).toMatchObject({
        status: 'running',
        step: 0,
      });
      await ingest(api, spans(name, 'production', 2, 60, 0));
      const r = await until(api, started.body.id, (x) => x.status === 'completed');
      expect(r.events.map((e: { kind: string }) => e.kind)).toEqual(['start', 'advance', 'complete']);
      const live = (await api.get(`${p(name)}/deployments/production`)).body;
      expect(live).toMatchObject({ version: 2, updatedBy: `rollout ${started.body.id}` });
      const history = (await api.get(`${p(name)}/deployments/production/history`)).body.items;
      expect(history.slice(0, 3).map((e: { reason: string }) => e.reason)).toEqual([
        expect.stringMatching(/^rollout \d+: completed, v2 at 100%/),
        expect.stringMatching(/^step 2 \(50%\): guardrails held|^rollout \d+: step 2 \(50%\)/),
        expect.stringMatching(/^rollout \d+ started by .*: v2 at 10% against v1$/),
      ]);
    });

    it('an alert firing on the candidate counts as a regression', async () => {
      const { api } = ctx();
      const name = 'ro/alert';
      await promptLive(api, name);
      const rule = await api.post('/api/v1/alerts', {
        name: 'candidate errors',
        prompt: name,
        version: 2,
        environment: 'production',
        metric: 'errorRate',
        windowMinutes: 5,
        condition: { type: 'threshold', operator: 'gt', value: 0.2 },
        minSamples: 10,
      });
      expect(rule.status).toBe(201);
      // No guardrail of its own: only the alert can stop it.
      const started = await api.post(`${p(name)}/rollouts`, {
        env: 'production',
        version: 2,
        steps: [{ weight: 5000, durationSeconds: 3600 }],
      });
      await ingest(api, spans(name, 'production', 2, 20, 10));
      const r = await until(api, started.body.id, (x) => x.status !== 'running');
      expect(r.status).toBe('rolled_back');
      expect(r.reason).toMatch(/alert "candidate errors" \(rule \d+, errorRate\) firing on v2 since/);
      expect((await api.get(`${p(name)}/deployments/production`)).body.version).toBe(1);
    });

    it('a manual deploy during a rollout aborts it and stays live', async () => {
      const { api } = ctx();
      const name = 'ro/manual';
      await promptLive(api, name, 'production', 3);
      const started = await api.post(`${p(name)}/rollouts`, {
        env: 'production',
        version: 2,
        steps: [{ weight: 500, durationSeconds: 3600 }],
      });
      expect(
        (await api.put(`${p(name)}/deployments/production`, { version: 3, reason: 'hotfix' })).status,
      ).toBe(200);
      const r = await until(api, started.body.id, (x) => x.status !== 'running');
      expect(r.status).toBe('aborted');
      expect(r.reason).toMatch(/the live release changed outside the rollout/);
      expect((await api.get(`${p(name)}/deployments/production`)).body.version).toBe(3);
    });

    it('pause, resume, advance and abort by hand; abort puts control back', async () => {
      const { api } = ctx();
      const name = 'ro/manual-actions';
      await promptLive(api, name);
      const started = await api.post(`${p(name)}/rollouts`, {
        env: 'production',
        version: 2,
        steps: [
          { weight: 500, durationSeconds: 3600 },
          { weight: 2500, durationSeconds: 3600 },
          { weight: 10_000, durationSeconds: 0 },
        ],
      });
      const id = started.body.id;
      expect((await api.post(`/api/v1/rollouts/${id}/pause`, { reason: 'lunch' })).body).toMatchObject({
        status: 'paused',
      });
      const twice = await api.post(`/api/v1/rollouts/${id}/pause`);
      expect(twice.status).toBe(409);
      expect(twice.body.code).toBe('ROLLOUT_NOT_ACTIVE');
      expect((await api.post(`/api/v1/rollouts/${id}/advance`)).body.code).toBe('ROLLOUT_NOT_ACTIVE');
      expect((await api.post(`/api/v1/rollouts/${id}/resume`)).body).toMatchObject({
        status: 'running',
        step: 0,
      });
      const advanced = await api.post(`/api/v1/rollouts/${id}/advance`);
      expect(advanced.body).toMatchObject({ status: 'running', step: 1, currentStep: { weight: 2500 } });
      expect((await api.get(`${p(name)}/deployments/production`)).body.variants[0]).toEqual({
        version: 2,
        weight: 2500,
      });
      const aborted = await api.post(`/api/v1/rollouts/${id}/abort`, { reason: 'changed my mind' });
      expect(aborted.body).toMatchObject({ status: 'aborted' });
      expect((await api.get(`${p(name)}/deployments/production`)).body).toMatchObject({ version: 1 });
      const entry = (await api.get(`${p(name)}/deployments/production/history`)).body.items[0];
      expect(entry).toMatchObject({ action: 'rollback', version: 1 });
      expect(entry.reason).toMatch(/aborted by .*changed my mind/);
      expect(
        (await api.get('/api/v1/rollouts?prompt=ro/manual-actions')).body.items.map(
          (x: { id: number }) => x.id,
        ),
      ).toEqual([id]);
      expect((await api.get('/api/v1/rollouts/999999')).body.code).toBe('ROLLOUT_NOT_FOUND');
    });

    it('steps go through the environment policy: approvals required refuse the start, nothing is left behind', async () => {
      const { api } = ctx();
      const name = 'ro/policy';
      await promptLive(api, name, 'staging');
      await api.patch('/api/v1/environments/staging', { policy: { requiredApprovals: 1 } });
      try {
        const refused = await api.post(`${p(name)}/rollouts`, { env: 'staging', version: 2 });
        expect(refused.status).toBe(409);
        expect(refused.body.code).toBe('APPROVAL_REQUIRED');
        expect((await api.get(`/api/v1/rollouts?prompt=${name}`)).body.items).toEqual([]);
        expect((await api.get(`${p(name)}/deployments/staging`)).body.version).toBe(1);
      } finally {
        await api.patch('/api/v1/environments/staging', { policy: {} });
      }
    });
  },
  { rollouts: { checkEverySeconds: 1 }, alerts: { everySeconds: 1 } },
);
