import { expect, it } from 'vitest';
import { createTestClient, describeServer } from '../test-helpers/index.ts';

describeServer((ctx) => {
  const keyFor = async (body: Record<string, unknown>) => {
    const created = await ctx().api.post('/api/v1/api-keys', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: number; key: string; user: { id: number; email: string; name: string } };
  };
  const clientOf = (key: string) => createTestClient(ctx().server.app, key);

  it('a key acts as its creator by default: the key and "who am I" name that user', async () => {
    const key = await keyFor({ name: 'mine', role: 'editor' });
    expect(key.user.email).toBe('instance-admin@promptline.invalid');
    const me = await clientOf(key.key).get('/api/v1/session');
    expect(me.body).toMatchObject({ keyName: 'mine', role: 'editor', user: { id: key.user.id } });
  });

  it('a key for a named new user creates an invited member with the key role; emails are case-insensitive', async () => {
    const key = await keyFor({ name: 'alice laptop', role: 'editor', user: 'Alice.Smith@Example.com' });
    expect(key.user).toMatchObject({ email: 'alice.smith@example.com', name: 'alice.smith' });
    const members = (await ctx().api.get('/api/v1/members')).body.items as {
      user: { email: string; status: string; initials: string };
      role: string;
    }[];
    expect(members.find((m) => m.user.email === 'alice.smith@example.com')).toMatchObject({
      role: 'editor',
      user: { status: 'invited', initials: 'AS' },
    });
    const again = await keyFor({ name: 'alice ci', role: 'viewer', user: 'alice.smith@example.com' });
    expect(again.user.id).toBe(key.user.id);
    const me = await clientOf(again.key).get('/api/v1/session');
    expect(me.body).toMatchObject({ role: 'viewer', user: { email: 'alice.smith@example.com' } });
  });

  it('"account": "service" makes a service account', async () => {
    await keyFor({ name: 'deploy bot', role: 'editor', user: 'ci@example.com', account: 'service' });
    const members = (await ctx().api.get('/api/v1/members')).body.items as {
      user: { email: string; status: string };
    }[];
    expect(members.find((m) => m.user.email === 'ci@example.com')?.user.status).toBe('service');
  });

  it('refuses a key above its user’s role in the project (409 KEY_ROLE_ABOVE_MEMBER), creating nothing', async () => {
    const { api } = ctx();
    expect((await api.put('/api/v1/members', { email: 'bob@example.com', role: 'viewer' })).status).toBe(200);
    const before = (await api.get('/api/v1/api-keys')).body.items.length;
    const refused = await api.post('/api/v1/api-keys', {
      name: 'bob',
      role: 'editor',
      user: 'bob@example.com',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('KEY_ROLE_ABOVE_MEMBER');
    expect(refused.body.detail).toMatch(/bob@example.com is viewer/);
    expect((await api.get('/api/v1/api-keys')).body.items.length).toBe(before);
  });

  it('demoting a member caps their keys at once; removing them ends their keys', async () => {
    const { api } = ctx();
    const key = await keyFor({ name: 'carol', role: 'editor', user: 'carol@example.com' });
    const carol = clientOf(key.key);
    expect((await carol.post('/api/v1/prompts', { name: 'members/by-carol' })).status).toBe(201);
    const demoted = await api.put('/api/v1/members', { email: 'carol@example.com', role: 'viewer' });
    expect(demoted.body).toMatchObject({ role: 'viewer' });
    const write = await carol.post('/api/v1/prompts', { name: 'members/by-carol-2' });
    expect(write.status).toBe(403);
    expect((await carol.get('/api/v1/prompts')).status).toBe(200);
    expect((await api.delete(`/api/v1/members/${key.user.id}`)).status).toBe(204);
    expect((await carol.get('/api/v1/prompts')).status).toBe(401);
    const audit = (await api.get('/api/v1/audit?limit=200')).body.items as {
      action: string;
      target: string;
    }[];
    expect(audit.filter((e) => e.target === 'carol@example.com').map((e) => e.action)).toEqual(
      expect.arrayContaining(['member.update', 'member.remove']),
    );
  });

  it('a reviewer key reads but cannot write', async () => {
    const reviewer = clientOf(
      (await keyFor({ name: 'rev', role: 'reviewer', user: 'rita@example.com' })).key,
    );
    expect((await reviewer.get('/api/v1/prompts')).status).toBe(200);
    const write = await reviewer.post('/api/v1/prompts', { name: 'members/by-rita' });
    expect(write.status).toBe(403);
    expect(write.body.detail).toMatch(/needs the editor role; the key "rev" is reviewer/);
  });

  it('keeps the last admin member: removing or demoting them is 409 LAST_ADMIN_MEMBER', async () => {
    const { api } = ctx();
    const admins = (
      (await api.get('/api/v1/members')).body.items as { user: { id: number; email: string }; role: string }[]
    ).filter((m) => m.role === 'admin');
    expect(admins).toHaveLength(1);
    const only = admins[0];
    if (!only) throw new Error('no admin member');
    const removed = await api.delete(`/api/v1/members/${only.user.id}`);
    expect(removed.status).toBe(409);
    expect(removed.body.code).toBe('LAST_ADMIN_MEMBER');
    const demoted = await api.put('/api/v1/members', { email: only.user.email, role: 'editor' });
    expect(demoted.body.code).toBe('LAST_ADMIN_MEMBER');
    expect((await api.delete('/api/v1/members/999999')).body.code).toBe('MEMBER_NOT_FOUND');
    expect((await api.put('/api/v1/members', { email: 'not-an-email', role: 'viewer' })).status).toBe(422);
  });
});
