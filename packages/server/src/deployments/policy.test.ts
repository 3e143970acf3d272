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

describeServer((ctx) => {
  it('starts every environment with an empty policy: production deploys as before', async () => {
    const { api } = ctx();
    const envs = (await api.get('/api/v1/environments')).body.items;
    expect(envs.map((e: { policy: unknown }) => e.policy)).toEqual([{}, {}, {}]);
    await api.post('/api/v1/prompts', { name: 'pol/free', version: { type: 'text', template: 'hi' } });
    expect((await api.put(`${p('pol/free')}/deployments/production`, { version: 1 })).status).toBe(200);
  });

  it('refuses a direct deploy when approvals are required, but keeps the kill switch and rollback instant', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'pol/approve', version: { type: 'text', template: 'one' } });
    await api.post(`${p('pol/approve')}/versions`, { type: 'text', template: 'two' });
    await api.put(`${p('pol/approve')}/deployments/staging`, { version: 1 });
    await api.put(`${p('pol/approve')}/deployments/staging`, { version: 2 });
    const patched = await api.patch('/api/v1/environments/staging', { policy: { requiredApprovals: 2 } });
    expect(patched.body.policy).toEqual({ requiredApprovals: 2 });
    try {
      const refused = await api.put(`${p('pol/approve')}/deployments/staging`, { version: 1 });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'APPROVAL_REQUIRED', requiredApprovals: 2 });
      expect(refused.body.detail).toContain('/deployments/staging/requests');

      const off = await api.put(`${p('pol/approve')}/deployments/staging`, {
        version: 2,
        enabled: false,
        reason: 'incident 42',
      });
      expect(off.status).toBe(200);
      expect(off.body.enabled).toBe(false);
      const back = await api.post(`${p('pol/approve')}/deployments/staging/rollback`, {
        reason: 'incident 42',
      });
      expect(back.status).toBe(200);
      const history = (await api.get(`${p('pol/approve')}/deployments/staging/history`)).body.items;
      expect(
        history.slice(0, 2).map((e: { action: string; reason: string }) => [e.action, e.reason]),
      ).toEqual([
        ['rollback', 'incident 42'],
        ['deploy', 'incident 42'],
      ]);
    } finally {
      await api.patch('/api/v1/environments/staging', { policy: {} });
    }
  });

  it('applies the protected preset and clears it with none', async () => {
    const { api } = ctx();
    const on = await api.patch('/api/v1/environments/development', { policyPreset: 'protected' });
    expect(on.body).toMatchObject({
      protected: true,
      policy: { requiredApprovals: 1, noSelfApproval: true, requireEvalPass: true },
    });
    const off = await api.patch('/api/v1/environments/development', { policyPreset: 'none' });
    expect(off.body).toMatchObject({ protected: false, policy: {} });
    const bad = await api.patch('/api/v1/environments/development', {
      policy: { freeze: [{ from: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const unknown = await api.patch('/api/v1/environments/development', { policy: { approvals: 1 } });
    expect(unknown.status).toBe(422);
  });

  it('refuses roles outside deployRoles and deploys inside a freeze window (not the kill switch)', async () => {
    const { api, server } = ctx();
    const created = await api.post('/api/v1/api-keys', { name: 'ed', role: 'editor' });
    const editor = createTestClient(server.app, created.body.key);
    await api.post('/api/v1/prompts', { name: 'pol/roles', version: { type: 'text', template: 'x' } });
    await api.post(`${p('pol/roles')}/versions`, { type: 'text', template: 'y' });
    await api.put(`${p('pol/roles')}/deployments/development`, { version: 1 });
    await api.patch('/api/v1/environments/development', { policy: { deployRoles: ['admin'] } });
    const forbidden = await editor.put(`${p('pol/roles')}/deployments/development`, { version: 2 });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toMatch(/lets only admin deploy; your role is editor/);

    const now = Date.now();
    await api.patch('/api/v1/environments/development', {
      policy: {
        freeze: [
          {
            from: new Date(now - 60_000).toISOString(),
            until: new Date(now + 3_600_000).toISOString(),
            reason: 'launch week',
          },
        ],
      },
    });
    const frozen = await api.put(`${p('pol/roles')}/deployments/development`, { version: 2 });
    expect(frozen.status).toBe(409);
    expect(frozen.body.code).toBe('DEPLOY_FROZEN');
    expect(frozen.body.detail).toContain('launch week');
    const off = await editor.put(`${p('pol/roles')}/deployments/development`, { version: 1, enabled: false });
    expect(off.status).toBe(200);
    await api.patch('/api/v1/environments/development', { policy: {} });
  });

  it('gates deploys on the latest eval run on the gate dataset meeting the stored thresholds', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'pol/gate', version: { type: 'text', template: 'Say {{w}}' } });
    await api.post(`${p('pol/gate')}/versions`, { type: 'text', template: 'Nope {{w}}' });
    await api.post('/api/v1/datasets', {
      name: 'gate-set',
      items: [{ variables: { w: 'a' } }, { variables: { w: 'b' } }],
    });
    await api.post('/api/v1/datasets', { name: 'other-set', items: [{ variables: { w: 'c' } }] });
    await api.put(`${p('pol/gate')}/thresholds`, { minPassRate: 1, gateDataset: 'gate-set' });
    await api.patch('/api/v1/environments/production', { policy: { requireEvalPass: true } });
    try {
      const none = await api.put(`${p('pol/gate')}/deployments/production`, { version: 1 });
      expect(none.status).toBe(409);
      expect(none.body).toMatchObject({
        code: 'EVAL_GATE_FAILED',
        version: 1,
        runId: null,
        dataset: 'gate-set',
      });

      const run = async (version: number, dataset: string) => {
        const started = await api.post('/api/v1/eval-runs', {
          prompt: 'pol/gate',
          versions: [version],
          dataset,
          models: [{ provider: 'mock', model: 'echo' }],
          assertions: [{ type: 'icontains', value: 'Say' }],
        });
        expect(started.status).toBe(202);
        return waitForEnd(api, started.body.id);
      };
      // A pass on another dataset does not count.
      expect((await run(1, 'other-set')).thresholdsMet).toBe(true);
      expect((await api.put(`${p('pol/gate')}/deployments/production`, { version: 1 })).body.code).toBe(
        'EVAL_GATE_FAILED',
      );
      const passed = await run(1, 'gate-set');
      expect(passed.thresholdsMet).toBe(true);
      expect((await api.put(`${p('pol/gate')}/deployments/production`, { version: 1 })).status).toBe(200);

      const failed = await run(2, 'gate-set');
      expect(failed.thresholdsMet).toBe(false);
      const refused = await api.put(`${p('pol/gate')}/deployments/production`, { version: 2 });
      expect(refused.body).toMatchObject({ code: 'EVAL_GATE_FAILED', version: 2, runId: failed.id });
      expect(refused.body.detail).toMatch(/missed the thresholds/);
    } finally {
      await api.patch('/api/v1/environments/production', { policy: {} });
    }
  }, 120_000);
});
