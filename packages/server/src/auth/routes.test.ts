import { expect, it } from 'vitest';
import { createTestClient, describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  it('answers 401 problem+json without a key or with a wrong one', async () => {
    const { server } = ctx();
    for (const key of [undefined, 'pl_wrong', `${server.apiKey}x`]) {
      const response = await createTestClient(server.app, key).get('/api/v1/prompts');
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('UNAUTHORIZED');
    }
    const basic = await server.app.inject({
      url: '/api/v1/prompts',
      headers: { authorization: 'Basic abc' },
    });
    expect(basic.statusCode).toBe(401);
  });

  it('needs no key for /healthz, /docs and the OpenAPI document', async () => {
    const anonymous = createTestClient(ctx().server.app, undefined);
    expect((await anonymous.get('/healthz')).status).toBe(200);
    expect((await anonymous.get('/api/v1/openapi.json')).status).toBe(200);
    expect((await anonymous.get('/docs/')).status).toBe(200);
  });

  it('creates a key shown once, lists keys without secrets; the new key works', async () => {
    const { api, server } = ctx();
    const created = await api.post('/api/v1/api-keys', { name: 'ci', role: 'editor' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^pl_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: 'ci', role: 'editor', revokedAt: null });
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);
    const list = await api.get('/api/v1/api-keys');
    expect(list.text).not.toContain(created.body.key);
    expect(list.body.items.map((k: { name: string }) => k.name)).toContain('ci');
    const ci = createTestClient(server.app, created.body.key);
    expect((await ci.post('/api/v1/prompts', { name: 'auth/by-ci' })).status).toBe(201);
    expect((await ci.get('/api/v1/api-keys')).status).toBe(403);
  });

  it('viewers read but get 403 FORBIDDEN on writes', async () => {
    const { api, server } = ctx();
    const viewer = createTestClient(
      server.app,
      (await api.post('/api/v1/api-keys', { name: 'dash', role: 'viewer' })).body.key,
    );
    expect((await viewer.get('/api/v1/prompts')).status).toBe(200);
    const write = await viewer.post('/api/v1/prompts', { name: 'auth/nope' });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('FORBIDDEN');
    expect((await viewer.put(`${p('auth/by-ci')}/deployments/production`, { version: 1 })).status).toBe(403);
  });

  it('revocation takes effect on the very next request', async () => {
    const { api, server } = ctx();
    const created = (await api.post('/api/v1/api-keys', { name: 'temp', role: 'viewer' })).body;
    const temp = createTestClient(server.app, created.key);
    expect((await temp.get('/api/v1/prompts')).status).toBe(200);
    const revoked = await api.delete(`/api/v1/api-keys/${created.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await temp.get('/api/v1/prompts')).status).toBe(401);
    expect((await api.delete('/api/v1/api-keys/99999')).body.code).toBe('API_KEY_NOT_FOUND');
  });

  it('refuses to revoke the last active admin key with 409 LAST_ADMIN_KEY; another admin can be revoked', async () => {
    const { api } = ctx();
    const admins = () =>
      api
        .get('/api/v1/api-keys')
        .then((r) =>
          r.body.items.filter(
            (k: { role: string; revokedAt: unknown }) => k.role === 'admin' && !k.revokedAt,
          ),
        );
    const [only, ...others] = await admins();
    expect(others).toEqual([]);
    const refused = await api.delete(`/api/v1/api-keys/${only.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('LAST_ADMIN_KEY');
    expect(refused.body.detail).toMatch(/Create another admin key first/);
    const spare = (await api.post('/api/v1/api-keys', { name: 'spare-admin', role: 'admin' })).body;
    expect((await api.delete(`/api/v1/api-keys/${spare.id}`)).status).toBe(200);
    expect((await api.delete(`/api/v1/api-keys/${only.id}`)).body.code).toBe('LAST_ADMIN_KEY');
    expect((await admins()).map((k: { id: number }) => k.id)).toEqual([only.id]);
  });

  it('records the key name as version author', async () => {
    const { api, server } = ctx();
    const editor = createTestClient(
      server.app,
      (await api.post('/api/v1/api-keys', { name: 'grace', role: 'editor' })).body.key,
    );
    await editor.post('/api/v1/prompts', { name: 'auth/authored', version: { type: 'text', template: 'x' } });
    expect((await api.get(`${p('auth/authored')}/versions/1`)).body.author).toBe('grace');
  });
});
