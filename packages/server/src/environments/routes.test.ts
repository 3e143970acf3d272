import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

describeServer((ctx) => {
  it('starts with development, staging and production (protected) in rank order', async () => {
    const list = await ctx().api.get('/api/v1/environments');
    expect(list.status).toBe(200);
    expect(
      list.body.items.map((e: { name: string; rank: number; protected: boolean }) => [
        e.name,
        e.rank,
        e.protected,
      ]),
    ).toEqual([
      ['development', 10, false],
      ['staging', 20, false],
      ['production', 30, true],
    ]);
  });

  it('creates (ranked last by default), gets, renames, re-ranks and archives an environment', async () => {
    const { api } = ctx();
    const created = await api.post('/api/v1/environments', { name: 'qa', description: 'manual checks' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'qa', rank: 40, protected: false, archived: false });
    expect((await api.get('/api/v1/environments/qa')).body.description).toBe('manual checks');
    const renamed = await api.patch('/api/v1/environments/qa', { name: 'uat', rank: 15, protected: true });
    expect(renamed.body).toMatchObject({ name: 'uat', rank: 15, protected: true });
    expect((await api.get('/api/v1/environments/qa')).body.code).toBe('ENVIRONMENT_NOT_FOUND');
    const archived = await api.patch('/api/v1/environments/uat', { archived: true });
    expect(archived.body.archived).toBe(true);
    const names = (await api.get('/api/v1/environments')).body.items.map((e: { name: string }) => e.name);
    expect(names).toEqual(['development', 'uat', 'staging', 'production']);
  });

  it('refuses duplicate names on create and on rename (409 ENVIRONMENT_EXISTS) and bad names (422)', async () => {
    const { api } = ctx();
    expect((await api.post('/api/v1/environments', { name: 'staging' })).body.code).toBe(
      'ENVIRONMENT_EXISTS',
    );
    await api.post('/api/v1/environments', { name: 'perf' });
    const clash = await api.patch('/api/v1/environments/perf', { name: 'development' });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('ENVIRONMENT_EXISTS');
    expect((await api.post('/api/v1/environments', { name: 'Bad Name' })).status).toBe(422);
  });

  it('a renamed environment serves its deployments under the new name', async () => {
    const { api } = ctx();
    await api.post('/api/v1/environments', { name: 'canary' });
    await api.post('/api/v1/prompts', { name: 'env/p', version: { type: 'text', template: 'hi' } });
    await api.put(`${p('env/p')}/deployments/canary`, { version: 1 });
    expect((await api.get(`${p('env/p')}/resolve?env=canary`)).status).toBe(200);
    await api.patch('/api/v1/environments/canary', { name: 'early' });
    expect((await api.get(`${p('env/p')}/resolve?env=canary`)).body.code).toBe('ENVIRONMENT_NOT_FOUND');
    expect((await api.get(`${p('env/p')}/resolve?env=early`)).body.environment).toBe('early');
  });
});
