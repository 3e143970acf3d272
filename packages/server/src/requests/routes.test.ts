import { expect, it } from 'vitest';
import { createTestClient, describeServer, p, type TestClient } from '../test-helpers/index.ts';

describeServer((ctx) => {
  const clients = new Map<string, TestClient>();
  /** A key acting as its own person (approvals compare people). */
  async function as(name: string, role: 'viewer' | 'editor' | 'admin' = 'editor'): Promise<TestClient> {
    const existing = clients.get(name);
    if (existing) return existing;
    const { api, server } = ctx();
    // Each key for a person of its own: approvals compare users, and keys an admin creates
    // without naming a user act as that admin.
    const created = await api.post('/api/v1/api-keys', { name, role, user: `${name}@people.test` });
    expect(created.status).toBe(201);
    const client = createTestClient(server.app, created.body.key);
    clients.set(name, client);
    return client;
  }

  async function promptWithTwoVersions(name: string) {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name, version: { type: 'text', template: 'one' } });
    await api.post(`${p(name)}/versions`, { type: 'text', template: 'two' });
    await api.put(`${p(name)}/deployments/production`, { version: 1 });
  }

  it('deploys once the quorum approves, refusing self-approval, viewers and counting a repeat once', async () => {
    const { api } = ctx();
    await promptWithTwoVersions('req/quorum');
    await api.patch('/api/v1/environments/production', { policy: { requiredApprovals: 2 } });
    try {
      const ann = await as('ann');
      const direct = await ann.put(`${p('req/quorum')}/deployments/production`, { version: 2 });
      expect(direct.body.code).toBe('APPROVAL_REQUIRED');

      const noReason = await ann.post(`${p('req/quorum')}/deployments/production/requests`, { version: 2 });
      expect(noReason.status).toBe(422);
      const opened = await ann.post(`${p('req/quorum')}/deployments/production/requests`, {
        version: 2,
        reason: 'shorter answers',
      });
      expect(opened.status).toBe(201);
      expect(opened.body).toMatchObject({
        status: 'pending',
        requiredApprovals: 2,
        approvals: 0,
        author: 'ann',
      });
      const id = opened.body.id;

      const self = await ann.post(`/api/v1/deployment-requests/${id}/approve`, {});
      expect(self.status).toBe(403);
      expect(self.body.code).toBe('SELF_APPROVAL');
      const viewer = await (await as('vic', 'viewer')).post(`/api/v1/deployment-requests/${id}/approve`, {});
      expect(viewer.body.code).toBe('FORBIDDEN');

      const bob = await as('bob');
      const first = await bob.post(`/api/v1/deployment-requests/${id}/approve`, { comment: 'looks right' });
      expect(first.body).toMatchObject({ status: 'pending', approvals: 1 });
      const again = await bob.post(`/api/v1/deployment-requests/${id}/approve`);
      expect(again.body).toMatchObject({ status: 'pending', approvals: 1 });
      expect((await api.get(`${p('req/quorum')}/deployments/production`)).body.version).toBe(1);

      const done = await (await as('cy')).post(`/api/v1/deployment-requests/${id}/approve`);
      expect(done.body).toMatchObject({ status: 'deployed', approvals: 2 });
      expect(
        done.body.decisions.map((d: { user: string; comment: string | null }) => [d.user, d.comment]),
      ).toEqual([
        ['bob', 'looks right'],
        ['cy', null],
      ]);
      const live = (await api.get(`${p('req/quorum')}/deployments/production`)).body;
      expect(live).toMatchObject({ version: 2, historyId: done.body.historyId });
      const entry = (await api.get(`${p('req/quorum')}/deployments/production/history`)).body.items[0];
      expect(entry).toMatchObject({
        requestId: id,
        approvedBy: ['bob', 'cy'],
        actor: 'ann',
        reason: 'shorter answers',
      });

      const late = await (await as('dee')).post(`/api/v1/deployment-requests/${id}/approve`);
      expect(late.body.code).toBe('REQUEST_NOT_PENDING');
      const inbox = (await api.get('/api/v1/deployment-requests?status=deployed&prompt=req/quorum')).body
        .items;
      expect(inbox.map((r: { id: number }) => r.id)).toEqual([id]);
    } finally {
      await api.patch('/api/v1/environments/production', { policy: {} });
    }
  });

  it('goes stale when the head moves or the live release changes, and can be rejected or cancelled', async () => {
    const { api } = ctx();
    await promptWithTwoVersions('req/stale');
    const ann = await as('ann');
    const bob = await as('bob');
    const open = async () =>
      (await ann.post(`${p('req/stale')}/deployments/production/requests`, { version: 2, reason: 'r' })).body
        .id;

    const headMoved = await open();
    await api.post(`${p('req/stale')}/versions`, { type: 'text', template: 'three' });
    const refused = await bob.post(`/api/v1/deployment-requests/${headMoved}/approve`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('REQUEST_NOT_PENDING');
    expect(refused.body.detail).toMatch(/went stale .*newer version \(v3\)/);
    expect((await api.get(`/api/v1/deployment-requests/${headMoved}`)).body).toMatchObject({
      status: 'stale',
    });

    const releaseMoved = await open();
    await api.put(`${p('req/stale')}/deployments/production`, { version: 3 });
    const stale = await bob.post(`/api/v1/deployment-requests/${releaseMoved}/approve`);
    expect(stale.body.detail).toMatch(/release live in production changed/);

    const toReject = await open();
    const rejected = await bob.post(`/api/v1/deployment-requests/${toReject}/reject`, { comment: 'not now' });
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      decisions: [{ user: 'bob', decision: 'reject', comment: 'not now' }],
    });

    const toCancel = await open();
    expect((await bob.post(`/api/v1/deployment-requests/${toCancel}/cancel`)).body.code).toBe('FORBIDDEN');
    expect((await ann.post(`/api/v1/deployment-requests/${toCancel}/cancel`)).body.status).toBe('cancelled');
    expect((await api.get('/api/v1/deployment-requests/999999')).body.code).toBe(
      'DEPLOYMENT_REQUEST_NOT_FOUND',
    );
  });

  it('counts concurrent approvals once each and deploys exactly once', async () => {
    const { api } = ctx();
    await promptWithTwoVersions('req/race');
    await api.patch('/api/v1/environments/production', { policy: { requiredApprovals: 2 } });
    try {
      const ann = await as('ann');
      const id = (
        await ann.post(`${p('req/race')}/deployments/production/requests`, { version: 2, reason: 'race' })
      ).body.id;
      const approvers = await Promise.all(['r1', 'r2', 'r3'].map((n) => as(n)));
      // Three people, each approving twice, all at once.
      const answers = await Promise.all(
        [...approvers, ...approvers].map((c) => c.post(`/api/v1/deployment-requests/${id}/approve`)),
      );
      for (const answer of answers) expect([200, 409]).toContain(answer.status);
      const final = (await api.get(`/api/v1/deployment-requests/${id}`)).body;
      expect(final.status).toBe('deployed');
      expect(final.approvals).toBe(2);
      expect(new Set(final.decisions.map((d: { user: string }) => d.user)).size).toBe(2);
      const history = (await api.get(`${p('req/race')}/deployments/production/history`)).body.items;
      expect(history.filter((e: { requestId?: number }) => e.requestId === id)).toHaveLength(1);
    } finally {
      await api.patch('/api/v1/environments/production', { policy: {} });
    }
  });

  it('seals every decision: an approval edited in SQL is named by audit verify', async () => {
    const { api, server } = ctx();
    expect((await api.get('/api/v1/audit/verify')).body.ok).toBe(true);
    await server.database.exec(
      `update deployment_request_decisions set user_name = 'mallory' where id = (select min(id) from deployment_request_decisions)`,
    );
    const broken = (await api.get('/api/v1/audit/verify')).body;
    expect(broken.tampered).toEqual([
      expect.objectContaining({
        table: 'deployment_request_decisions',
        reason: expect.stringMatching(/altered/),
      }),
    ]);
  });
});
