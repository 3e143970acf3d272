import { expect, it } from 'vitest';
import { createTestClient, describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  it('keeps owner, reviewers and stakeholders on a prompt; the registry filters by owner', async () => {
    const { api } = ctx();
    const created = await api.post('/api/v1/prompts', {
      name: 'own/triage',
      owner: 'support-team',
      reviewers: ['Ada@Example.com'],
      stakeholders: ['#support-leads', 'grace@example.com'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      owner: 'support-team',
      reviewers: ['ada@example.com'],
      stakeholders: ['#support-leads', 'grace@example.com'],
    });
    await api.post('/api/v1/prompts', { name: 'own/other', owner: 'growth' });

    const mine = await api.get('/api/v1/prompts?owner=support-team');
    expect(mine.body.items.map((x: { name: string }) => x.name)).toEqual(['own/triage']);

    const updated = await api.patch(p('own/triage'), { reviewers: ['ada@example.com', 'bob@example.com'] });
    expect(updated.body).toMatchObject({
      reviewers: ['ada@example.com', 'bob@example.com'],
      stakeholders: ['#support-leads', 'grace@example.com'],
    });
    const audit = await api.get('/api/v1/audit?target=own/triage&action=prompt.update');
    expect(audit.body.items[0].data.after.reviewers).toEqual(['ada@example.com', 'bob@example.com']);

    const bad = await api.patch(p('own/triage'), { reviewers: ['not an email'] });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toContain('reviewers');
  });

  it('under reviewers: "prompt", only the prompt\'s reviewers approve its deploys', async () => {
    const { api, server } = ctx();
    const key = async (name: string, role: string) =>
      createTestClient(
        server.app,
        (await api.post('/api/v1/api-keys', { name, role, user: `${name}@people.test` })).body.key,
      );
    const author = await key('author', 'editor');
    const outsider = await key('outsider', 'reviewer');
    const named = await key('named', 'reviewer');
    await api.post('/api/v1/prompts', { name: 'own/guarded', version: { type: 'text', template: 'x' } });
    await api.post(`${p('own/guarded')}/versions`, { type: 'text', template: 'y' });
    await api.patch('/api/v1/environments/staging', {
      policy: { requiredApprovals: 1, reviewers: 'prompt' },
    });
    try {
      const opened = await author.post(`${p('own/guarded')}/deployments/staging/requests`, {
        version: 2,
        reason: 'ship y',
      });
      expect(opened.status).toBe(201);
      const id = opened.body.id;

      const none = await outsider.post(`/api/v1/deployment-requests/${id}/approve`, {});
      expect(none.status).toBe(403);
      expect(none.body.code).toBe('NOT_A_REVIEWER');
      expect(none.body.hint).toContain('has no reviewers yet');

      await api.patch(p('own/guarded'), { reviewers: ['named@people.test'] });
      const still = await outsider.post(`/api/v1/deployment-requests/${id}/approve`, {});
      expect(still.body.code).toBe('NOT_A_REVIEWER');
      expect(still.body.hint).toContain('named@people.test');

      const approved = await named.post(`/api/v1/deployment-requests/${id}/approve`, {});
      expect(approved.status).toBe(200);
      expect(approved.body.status).toBe('deployed');
      expect((await api.get(`${p('own/guarded')}/deployments/staging`)).body.version).toBe(2);
    } finally {
      await api.patch('/api/v1/environments/staging', { policy: {} });
    }
  });
});
