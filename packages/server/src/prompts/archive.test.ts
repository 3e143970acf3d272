import { expect, it } from 'vitest';
import { createTestClient, describeServer, p } from '../test-helpers/index.ts';

const names = (body: { items: { name: string }[] }) => body.items.map((x) => x.name);

describeServer((ctx) => {
  it('archives a prompt nothing serves: out of the lists, no new versions, history kept, restorable', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'arch/old', version: { type: 'text', template: 'v1 {{a}}' } });
    await api.post('/api/v1/prompts', { name: 'arch/kept', version: { type: 'text', template: 'k' } });

    const archived = await api.patch(p('arch/old'), { archived: true });
    expect(archived.status).toBe(200);
    expect(archived.body.archivedAt).toEqual(expect.any(String));

    expect(names((await api.get('/api/v1/prompts?q=arch/')).body)).toEqual(['arch/kept']);
    expect(names((await api.get('/api/v1/prompts?q=arch/&archived=only')).body)).toEqual(['arch/old']);
    expect(names((await api.get('/api/v1/prompts?q=arch/&archived=include')).body)).toEqual([
      'arch/kept',
      'arch/old',
    ]);
    // Still readable with its versions.
    expect((await api.get(p('arch/old'))).body.archivedAt).toEqual(archived.body.archivedAt);
    expect((await api.get(`${p('arch/old')}/versions/1`)).body.template).toBe('v1 {{a}}');

    const refused = await api.post(`${p('arch/old')}/versions`, { type: 'text', template: 'v2' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PROMPT_ARCHIVED');
    expect(refused.body.hint).toContain('"archived": false');
    // The name stays taken.
    expect((await api.post('/api/v1/prompts', { name: 'arch/old' })).body.code).toBe('PROMPT_EXISTS');

    const restored = await api.patch(p('arch/old'), { archived: false, description: 'back' });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ archivedAt: null, description: 'back' });
    expect((await api.post(`${p('arch/old')}/versions`, { type: 'text', template: 'v2' })).status).toBe(201);

    const audit = await api.get('/api/v1/audit?target=arch/old');
    const actions = audit.body.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['prompt.archive', 'prompt.restore', 'prompt.update']));
    expect((await api.get('/api/v1/audit/verify')).body.ok).toBe(true);
  });

  it('refuses to archive a prompt an environment serves, naming the environments, until its release is off', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'arch/live', version: { type: 'text', template: 'live' } });
    expect((await api.put(`${p('arch/live')}/deployments/production`, { version: 1 })).status).toBe(200);

    const refused = await api.patch(p('arch/live'), { archived: true });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PROMPT_SERVED');
    expect(refused.body.environments).toEqual(['production']);
    expect((await api.get(p('arch/live'))).body.archivedAt ?? null).toBeNull();

    // The kill switch turns the release off; then it may be archived.
    expect(
      (await api.put(`${p('arch/live')}/deployments/production`, { version: 1, enabled: false })).status,
    ).toBe(200);
    expect((await api.patch(p('arch/live'), { archived: true })).status).toBe(200);
  });

  it('refuses a viewer', async () => {
    const { api, server } = ctx();
    await api.post('/api/v1/prompts', { name: 'arch/viewer' });
    const key = (await api.post('/api/v1/api-keys', { name: 'reader', role: 'viewer' })).body.key;
    const viewer = createTestClient(server.app, key);
    expect((await viewer.patch(p('arch/viewer'), { archived: true })).status).toBe(403);
    expect((await api.get(p('arch/viewer'))).body.archivedAt).toBeNull();
  });
});
