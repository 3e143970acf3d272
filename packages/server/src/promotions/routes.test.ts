import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  async function staged(name: string) {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'one' } });
    await api.post(`${p(name)}/versions`, { type: 'text', template: 'two' });
    expect((await api.put(`${p(name)}/deployments/production`, { version: 1 })).status).toBe(200);
    expect((await api.put(`${p(name)}/deployments/staging`, { version: 2 })).status).toBe(200);
  }

  it('where the target needs approvals, `request: true` opens a deployment request instead of being refused', async () => {
    const { api } = ctx();
    const name = 'promo/approvals';
    await staged(name);
    expect(
      (await api.patch('/api/v1/environments/production', { policy: { requiredApprovals: 1 } })).status,
    ).toBe(200);
    try {
      const url = `${p(name)}/promote`;
      const refused = await api.post(url, { from: 'staging', to: 'production' });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('PROMOTION_BLOCKED');
      expect(refused.body.gates.find((g: { name: string }) => g.name === 'target').detail).toMatch(
        /^APPROVAL_REQUIRED/,
      );
      // Another gate failing: no request either.
      const unsoaked = await api.post(url, {
        from: 'staging',
        to: 'production',
        minSoakSeconds: 3600,
        request: true,
      });
      expect(unsoaked.body.code).toBe('PROMOTION_BLOCKED');
      expect(
        (await api.get(`/api/v1/deployment-requests?prompt=${encodeURIComponent(name)}`)).body.items,
      ).toEqual([]);

      const asked = await api.post(url, {
        from: 'staging',
        to: 'production',
        request: true,
        reason: 'soaked',
      });
      expect(asked.status).toBe(200);
      expect(asked.body).toMatchObject({ version: 2, promoted: false, historyId: null });
      expect(asked.body.requestId).toEqual(expect.any(Number));
      expect(asked.body.gates.find((g: { name: string }) => g.name === 'target')).toMatchObject({
        ok: true,
        detail: `production needs approvals: deployment request ${asked.body.requestId} opened (it deploys v2 once approved)`,
      });
      const opened = (await api.get(`/api/v1/deployment-requests/${asked.body.requestId}`)).body;
      expect(opened).toMatchObject({
        status: 'pending',
        environment: 'production',
        variants: [{ version: 2, weight: 10_000 }],
        reason: 'promoted from staging: soaked',
      });
      expect((await api.get(`${p(name)}/deployments/production`)).body.version).toBe(1);
    } finally {
      await api.patch('/api/v1/environments/production', { policy: {} });
    }
  });

  it('shows the gates on a dry run without changing anything, then promotes', async () => {
    const { api } = ctx();
    const name = 'promo/ok';
    await staged(name);
    const dry = await api.post(`${p(name)}/promote`, { from: 'staging', to: 'production', dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ version: 2, promoted: false, historyId: null });
    expect(dry.body.gates.map((g: { name: string; ok: boolean }) => [g.name, g.ok])).toEqual([
      ['source', true],
      ['soak', true],
      ['guardrails', true],
      ['target', true],
    ]);
    expect((await api.get(`${p(name)}/deployments/production`)).body.version).toBe(1);
    const history = (await api.get(`${p(name)}/deployments/production/history`)).body.items.length;

    const done = await api.post(`${p(name)}/promote`, {
      from: 'staging',
      to: 'production',
      reason: 'soaked',
    });
    expect(done.body).toMatchObject({ promoted: true, version: 2 });
    const live = (await api.get(`${p(name)}/deployments/production`)).body;
    expect(live).toMatchObject({ version: 2, historyId: done.body.historyId });
    const entries = (await api.get(`${p(name)}/deployments/production/history`)).body.items;
    expect(entries.length).toBe(history + 1);
    expect(entries[0].reason).toBe('promoted from staging: soaked');
  });

  it('blocks on soak time, a split source and the target policy, listing every gate', async () => {
    const { api } = ctx();
    const name = 'promo/blocked';
    await staged(name);
    const soak = await api.post(`${p(name)}/promote`, {
      from: 'staging',
      to: 'production',
      minSoakSeconds: 3600,
    });
    expect(soak.status).toBe(409);
    expect(soak.body.code).toBe('PROMOTION_BLOCKED');
    expect(soak.body.gates.find((g: { name: string }) => g.name === 'soak')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^live in staging for \d+ s \(minimum 1\.0 h\)$/),
    });
    expect((await api.get(`${p(name)}/deployments/production`)).body.version).toBe(1);

    await api.patch('/api/v1/environments/production', { policy: { requiredApprovals: 1 } });
    try {
      const policy = await api.post(`${p(name)}/promote`, { from: 'staging', to: 'production' });
      expect(policy.status).toBe(409);
      expect(policy.body.gates.find((g: { name: string }) => g.name === 'target')).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/^APPROVAL_REQUIRED: /),
      });
    } finally {
      await api.patch('/api/v1/environments/production', { policy: {} });
    }

    await api.put(`${p(name)}/deployments/staging`, {
      variants: [
        { version: 2, weight: 5000 },
        { version: 1, weight: 5000 },
      ],
    });
    const split = await api.post(`${p(name)}/promote`, { from: 'staging', to: 'production', dryRun: true });
    expect(split.status).toBe(200);
    expect(split.body).toMatchObject({ version: null, promoted: false });
    expect(split.body.gates[0]).toMatchObject({
      name: 'source',
      ok: false,
      detail: expect.stringContaining('several variants'),
    });
  });
});
