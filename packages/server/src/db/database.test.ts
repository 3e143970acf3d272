import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { bootstrap } from '../bootstrap.ts';
import { createEnvironmentStore } from '../environments/store.ts';
import { createPromptStore } from '../prompts/store.ts';
import { forEachDialect } from '../test-helpers/database.ts';
import { migrate } from './migrations.ts';

forEachDialect((dialect, get) => {
  it('records applied migrations and is a no-op when run again', async () => {
    const database = get();
    expect(database.dialect).toBe(dialect);
    expect(await migrate(database)).toEqual([]);
    const rows = await sql<{ name: string }>`select name from kysely_migration`.execute(database.db);
    const names = rows.rows.map((r) => r.name);
    expect(names[0]).toBe('0001_initial_schema');
    expect(new Set(names).size).toBe(names.length);
  });

  it('seeds the default project and environments once, however often it runs', async () => {
    const database = get();
    const first = await bootstrap(database, { apiKey: 'pl_test-key-0123456789' });
    const second = await bootstrap(database, { apiKey: 'pl_test-key-0123456789' });
    expect(second.projectId).toBe(first.projectId);
    const envs = await createEnvironmentStore().list(database.db, first.projectId);
    expect(envs.map((e) => e.name)).toEqual(['development', 'staging', 'production']);
    const keys = await database.db.selectFrom('api_keys').select('key_hash').execute();
    expect(keys).toHaveLength(1);
    expect(keys[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('translates unique violations into domain errors on this driver', async () => {
    const database = get();
    const { projectId } = await bootstrap(database);
    const prompts = createPromptStore(dialect);
    const at = new Date().toISOString();
    const prompt = await prompts.insert(database.db, projectId, {
      name: 'u',
      description: '',
      owner: '',
      tags: [],
      at,
    });
    await expect(
      prompts.insert(database.db, projectId, { name: 'u', description: '', owner: '', tags: [], at }),
    ).rejects.toMatchObject({ code: 'PROMPT_EXISTS' });
    const version = {
      number: 1,
      semver: '1.0.0',
      type: 'text' as const,
      template: 'x',
      config: {},
      variables: [],
      message: '',
      author: 'a',
      createdAt: at,
      parent: null,
      hash: 'h',
    };
    await prompts.insertVersion(database.db, projectId, prompt, version);
    await expect(prompts.insertVersion(database.db, projectId, prompt, version)).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
    });
    await expect(
      createEnvironmentStore().insert(database.db, projectId, {
        name: 'production',
        description: '',
        rank: 1,
        protected: false,
        createdAt: at,
      }),
    ).rejects.toMatchObject({ code: 'ENVIRONMENT_EXISTS' });
  });

  it('round-trips JSON, booleans and timestamps identically', async () => {
    const database = get();
    const { projectId } = await bootstrap(database);
    const prompts = createPromptStore(dialect);
    const at = '2026-03-01T10:00:00.123Z';
    const tags = ['ünïcode', 'a"quote', '🙂'];
    await prompts.insert(database.db, projectId, { name: 'json', description: 'd', owner: 'o', tags, at });
    const back = await prompts.findByName(database.db, projectId, 'json');
    expect(back).toMatchObject({ tags, createdAt: at, updatedAt: at, latestVersion: null });
    const prod = await createEnvironmentStore().findByName(database.db, projectId, 'production');
    expect(prod?.protected).toBe(true);
    expect(prod?.archived).toBe(false);
  });
});
