import { expect, it } from 'vitest';
import { createTestClient, describeServer, p, type TestClient } from '../test-helpers/index.ts';
import { testSpan } from '../traces/test-spans.ts';

/** Spans of one version in staging: `errors` of `count` failed. */
function spans(name: string, version: number, count: number, errors: number) {
  return Array.from({ length: count }, (_, i) =>
    testSpan(
      {
        prompt: { name, version, environment: 'staging' },
        status: i < errors ? 'error' : 'ok',
        unit: `u-${version}-${i}`,
      },
      0,
    ),
  );
}

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
    async function person(name: string, role: 'editor' | 'reviewer'): Promise<TestClient> {
      const { api, server } = ctx();
      const created = await api.post('/api/v1/api-keys', { name, role, user: `${name}@people.test` });
      expect(created.status).toBe(201);
      return createTestClient(server.app, created.body.key);
    }

    it('a rollout into an environment that needs approvals goes through a request; its steps and rollback need no new approval', async () => {
      const { api } = ctx();
      const name = 'ro/approved';
      await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'one' } });
      await api.post(`${p(name)}/versions`, { type: 'text', template: 'two' });
      await api.post(`${p(name)}/versions`, { type: 'text', template: 'three' });
      expect((await api.put(`${p(name)}/deployments/staging`, { version: 1 })).status).toBe(200);
      expect(
        (await api.patch('/api/v1/environments/staging', { policy: { requiredApprovals: 1 } })).status,
      ).toBe(200);
      const ann = await person('ann', 'editor');
      const rita = await person('rita', 'reviewer');
      const plan = {
        steps: [
          { weight: 2000, durationSeconds: 0 },
          { weight: 10_000, durationSeconds: 0 },
        ],
        guardrails: [{ metric: 'errorRate', maxRegression: 0.05 }],
        minSamples: 20,
        onRegression: 'rollback',
      };

      // Direct: refused, and the answer says how to ask instead.
      const direct = await ann.post(`${p(name)}/rollouts`, { env: 'staging', version: 2, ...plan });
      expect(direct.status, JSON.stringify(direct.body)).toBe(409);
      expect(direct.body.code).toBe('APPROVAL_REQUIRED');
      expect(direct.body.hint).toContain('"rollout"');
      expect((await ann.get('/api/v1/rollouts')).body.items).toEqual([]);

      // A bad plan or weighted variants are refused before anything is stored.
      const url = `${p(name)}/deployments/staging/requests`;
      const badPlan = await ann.post(url, {
        version: 2,
        reason: 'r',
        rollout: { ...plan, guardrails: [{ metric: 'p95', maxRegression: 0.1 }] },
      });
      expect(badPlan.body).toMatchObject({
        code: 'INVALID_ROLLOUT',
        errors: [{ path: 'guardrails.0.metric' }],
      });
      const weighted = await ann.post(url, {
        variants: [
          { version: 2, weight: 5000 },
          { version: 1, weight: 5000 },
        ],
        reason: 'r',
        rollout: plan,
      });
      expect(weighted.body.code).toBe('VALIDATION_FAILED');

      const opened = await ann.post(url, { version: 2, reason: 'shorter answers', rollout: plan });
      expect(opened.status).toBe(201);
      expect(opened.body).toMatchObject({
        status: 'pending',
        rollout: { minSamples: 20, onRegression: 'rollback' },
      });
      // Nothing changes until approved.
      expect((await api.get(`${p(name)}/deployments/staging`)).body.version).toBe(1);

      const approved = await rita.post(`/api/v1/deployment-requests/${opened.body.id}/approve`, {});
      expect(approved.status).toBe(200);
      expect(approved.body.status).toBe('deployed');
      const [rollout] = (await api.get('/api/v1/rollouts?prompt=ro%2Fapproved')).body.items;
      expect(rollout).toMatchObject({
        status: 'running',
        candidate: 2,
        control: 1,
        step: 0,
        requestId: opened.body.id,
      });
      const first = (await api.get(`${p(name)}/deployments/staging/history`)).body.items[0];
      expect(first).toMatchObject({
        requestId: opened.body.id,
        approvedBy: ['rita'],
        id: approved.body.historyId,
      });
      expect(first.variants).toEqual([
        { version: 2, weight: 2000 },
        { version: 1, weight: 8000 },
      ]);

      // Healthy traffic: the automatic steps deploy under the same approval, up to 100 %.
      await api.post('/api/v1/traces', { spans: [...spans(name, 1, 100, 1), ...spans(name, 2, 40, 0)] });
      const done = await until(api, rollout.id, (r) => r.status !== 'running');
      expect(done.status).toBe('completed');
      const entries = (await api.get(`${p(name)}/deployments/staging/history`)).body.items;
      expect(entries[0]).toMatchObject({ version: 2, requestId: opened.body.id, approvedBy: ['rita'] });

      // A second approved rollout that regresses rolls back on its own.
      const second = await ann.post(url, { version: 3, reason: 'try three', rollout: plan });
      await rita.post(`/api/v1/deployment-requests/${second.body.id}/approve`, {});
      const [r3] = (await api.get('/api/v1/rollouts?prompt=ro%2Fapproved&status=running')).body.items;
      expect(r3).toMatchObject({ candidate: 3, control: 2, requestId: second.body.id });
      await api.post('/api/v1/traces', { spans: [...spans(name, 2, 100, 1), ...spans(name, 3, 60, 30)] });
      const back = await until(api, r3.id, (r) => r.status !== 'running');
      expect(back.status).toBe('rolled_back');
      expect((await api.get(`${p(name)}/deployments/staging`)).body.version).toBe(2);
    });
  },
  { rollouts: { checkEverySeconds: 1 } },
);
