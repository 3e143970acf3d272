import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { createTestClient, describeServer, p, type TestClient } from '../test-helpers/index.ts';

async function waitForEnd(api: TestClient, id: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await api.get(`/api/v1/eval-runs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(run.body.status)) return run.body;
    if (Date.now() > deadline) throw new Error(`run ${id} did not finish: ${JSON.stringify(run.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const tick = () => new Promise((r) => setTimeout(r, 15));

describeServer((ctx) => {
  it('answers what staging served at any instant, and each live version with author, approvers, gating run and proofs', async () => {
    const { api, server } = ctx();
    const name = 'lin/triage';
    await api.post('/api/v1/prompts', {
      name,
      version: { type: 'text', template: 'Say {{w}}' },
      owner: 'ops',
    });
    await api.post(`${p(name)}/versions`, { type: 'text', template: 'Say more {{w}}', message: 'longer' });
    await api.post('/api/v1/datasets', { name: 'lin-set', items: [{ variables: { w: 'a' } }] });
    await api.put(`${p(name)}/thresholds`, { minPassRate: 1, gateDataset: 'lin-set' });
    const run = async (version: number) => {
      const started = await api.post('/api/v1/eval-runs', {
        prompt: name,
        versions: [version],
        dataset: 'lin-set',
        models: [{ provider: 'mock', model: 'echo' }],
        assertions: [{ type: 'icontains', value: 'Say' }],
      });
      expect(started.status).toBe(202);
      const ended = await waitForEnd(api, started.body.id);
      expect(ended.thresholdsMet).toBe(true);
      return ended.id as number;
    };
    const before = new Date().toISOString();
    await tick();

    // v1: through the eval gate.
    await api.patch('/api/v1/environments/staging', { policy: { requireEvalPass: true } });
    const run1 = await run(1);
    expect((await api.put(`${p(name)}/deployments/staging`, { version: 1, reason: 'first' })).status).toBe(
      200,
    );
    await tick();
    const whileV1 = new Date().toISOString();
    await tick();

    // v2: through the gate and one approval by a reviewer.
    await api.patch('/api/v1/environments/staging', {
      policy: { requireEvalPass: true, requiredApprovals: 1 },
    });
    const run2 = await run(2);
    const reviewerKey = (
      await api.post('/api/v1/api-keys', { name: 'rev', role: 'reviewer', user: 'rev@people.test' })
    ).body.key;
    const requested = await api.post(`${p(name)}/deployments/staging/requests`, {
      version: 2,
      reason: 'longer',
    });
    expect(requested.status).toBe(201);
    const reviewer = createTestClient(server.app, reviewerKey);
    const approved = await reviewer.post(`/api/v1/deployment-requests/${requested.body.id}/approve`, {});
    expect(approved.status).toBe(200);
    await tick();
    const whileV2 = new Date().toISOString();

    const lineage = await api.get(`${p(name)}/lineage?env=staging`);
    expect(lineage.status, JSON.stringify(lineage.body)).toBe(200);
    expect(lineage.body).toMatchObject({ prompt: name, environment: 'staging', chain: { ok: true } });
    const [v1, v2] = lineage.body.versions;
    expect(lineage.body.versions).toHaveLength(2);
    expect(v1).toMatchObject({ number: 1, semver: '1.0.0', live: [{ weight: 10_000, reason: 'first' }] });
    expect(v1.live[0].gate).toEqual({ version: 1, runId: run1, dataset: 'lin-set' });
    expect(v1.live[0].approvedBy).toEqual([]);
    expect(v1.live[0].until).toBe(v2.live[0].from);
    expect(v2).toMatchObject({ number: 2, message: 'longer' });
    expect(v2.live[0]).toMatchObject({
      until: null,
      requestId: requested.body.id,
      approvedBy: ['rev'],
      gate: { version: 2, runId: run2, dataset: 'lin-set' },
    });
    // Each period names the audit event that sealed its history entry.
    const events = (await api.get('/api/v1/audit?limit=500')).body.items as { id: number; hash: string }[];
    for (const period of [v1.live[0], v2.live[0]]) {
      expect(events.find((e) => e.id === period.proof.eventId)?.hash).toBe(period.proof.eventHash);
    }

    const at = async (instant: string) =>
      api.get(`/api/v1/environments/staging/snapshot?at=${encodeURIComponent(instant)}`);
    const first = await at(whileV1);
    expect(first.status).toBe(200);
    expect(first.body.chain.ok).toBe(true);
    const served = first.body.prompts.find((x: { prompt: string }) => x.prompt === name);
    expect(served).toMatchObject({
      enabled: true,
      variants: [{ weight: 10_000, version: { number: 1, template: 'Say {{w}}' } }],
    });
    expect(served.proof.eventHash).toBe(v1.live[0].proof.eventHash);
    const second = (await at(whileV2)).body.prompts.find((x: { prompt: string }) => x.prompt === name);
    expect(second.variants[0].version).toMatchObject({
      number: 2,
      template: 'Say more {{w}}',
      hash: v2.hash,
    });
    expect(second.entry).toMatchObject({ requestId: requested.body.id, approvedBy: ['rev'] });
    expect(
      (await at(before)).body.prompts.find((x: { prompt: string }) => x.prompt === name),
    ).toBeUndefined();
    const future = await at(new Date(Date.now() + 3_600_000).toISOString());
    expect(future.status).toBe(400);
    expect((await at('yesterday')).status).toBe(422);

    const html = await api.get(`${p(name)}/lineage?env=staging&format=html`);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.text).toContain('rev (request');
    expect(html.text).toContain(`run ${run2} on lin-set`);
    expect(html.text).toContain('live now');

    // Editing the history row in the database is visible in the report itself.
    await sql`update deployment_history set actor = 'someone else' where id = ${v2.live[0].historyId}`.execute(
      server.database.db,
    );
    const tampered = await api.get(`${p(name)}/lineage?env=staging`);
    expect(tampered.body.chain.ok).toBe(false);
    expect(JSON.stringify(tampered.body.chain.tampered)).toContain('deployment_history');
    expect((await api.get(`${p(name)}/lineage?env=staging&format=html`)).text).toContain('NOT verified');
    await api.patch('/api/v1/environments/staging', { policy: {} });
  }, 120_000);

  it('404s an unknown prompt or environment and needs a key', async () => {
    const { api, server } = ctx();
    expect((await api.get(`${p('lin/none')}/lineage`)).body.code).toBe('PROMPT_NOT_FOUND');
    const env = await api.get('/api/v1/environments/nowhere/snapshot?at=2026-01-01T00:00:00Z');
    expect(env.body.code).toBe('ENVIRONMENT_NOT_FOUND');
    expect((await createTestClient(server.app, undefined).get(`${p('lin/none')}/lineage`)).status).toBe(401);
  });
});
