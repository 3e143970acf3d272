import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  it('records every write with actor, action, target and a before/after summary', async () => {
    const { api } = ctx();
    await api.post('/api/v1/prompts', { name: 'audit/a', version: { type: 'text', template: 'one' } });
    await api.put(`${p('audit/a')}/deployments/staging`, { version: 1, reason: 'try' });
    await api.patch('/api/v1/environments/staging', { description: 'changed' });
    const page = await api.get('/api/v1/audit?limit=100');
    const actions = page.body.items.map((e: { action: string }) => e.action);
    expect(actions.slice(0, 4)).toEqual([
      'environment.update',
      'deployment.deploy',
      'version.create',
      'prompt.create',
    ]);
    expect(actions).toContain('api_key.create');
    const deploy = page.body.items[1];
    expect(deploy).toMatchObject({ targetType: 'deployment', target: 'audit/a@staging' });
    expect(deploy.data).toMatchObject({
      before: null,
      after: { variants: [{ version: 1, weight: 10_000 }] },
      reason: 'try',
    });
    expect(deploy.actor).toContain('admin');
    expect(page.body.items[0].data.before.description).not.toBe('changed');
  });

  it('filters by action and target and pages with the cursor', async () => {
    const { api } = ctx();
    const versions = await api.get('/api/v1/audit?action=version.create&target=audit/a');
    expect(versions.body.items).toHaveLength(1);
    const first = await api.get('/api/v1/audit?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await api.get(`/api/v1/audit?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id).toBeLessThan(first.body.items[1].id);
  });

  it('verifies the chain, and names the first row altered directly in SQL', async () => {
    const { api, server } = ctx();
    const ok = await api.get('/api/v1/audit/verify');
    expect(ok.body).toMatchObject({ ok: true, brokenAt: null });
    expect(ok.body.checked).toBeGreaterThan(3);
    const victim = (await api.get('/api/v1/audit?action=deployment.deploy')).body.items[0];
    await server.database.exec(`update audit_events set actor = 'mallory' where id = ${victim.id}`);
    const broken = await api.get('/api/v1/audit/verify');
    expect(broken.body).toMatchObject({ ok: false, brokenAt: victim.id });
    expect(broken.body.reason).toMatch(/altered/);
  });
});
