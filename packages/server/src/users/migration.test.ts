import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.ts';
import { hashApiKey } from '../auth/service.ts';
import { createDatabase, type Database } from '../db/database.ts';
import { migrate } from '../db/migrations.ts';
import { createTestSchema, DIALECTS, TEST_POSTGRES_URL } from '../test-helpers/database.ts';
import { createTestClient } from '../test-helpers/index.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function openRaw(dialect: 'sqlite' | 'postgres'): Promise<Database> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'promptline-users-migration-'));
    const database = createDatabase({ dataDir: dir });
    cleanups.push(async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return database;
  }
  const database = createDatabase({
    databaseUrl: TEST_POSTGRES_URL,
    dataDir: '.',
    postgresSchema: await createTestSchema(),
  });
  cleanups.push(() => database.close());
  return database;
}

for (const dialect of DIALECTS) {
  describe(dialect, () => {
    it('0182_users moves every existing key onto a service user of its own, a member with the key role', async () => {
      const database = await openRaw(dialect);
      await migrate(database, { to: '0080_api_key_notify' });
      const at = '2026-01-01T00:00:00.000Z';
      await sql`insert into projects (name, created_at) values ('default', ${at})`.execute(database.db);
      const keys = [
        { name: 'ops admin', role: 'admin', secret: 'pl_old-admin-key-0123456789' },
        { name: 'ci', role: 'editor', secret: 'pl_old-editor-key-0123456789' },
        { name: 'dashboard', role: 'viewer', secret: 'pl_old-viewer-key-0123456789' },
      ];
      for (const key of keys) {
        await sql`insert into api_keys (project_id, name, role, prefix, key_hash, created_at)
          values (1, ${key.name}, ${key.role}, ${key.secret.slice(0, 10)}, ${hashApiKey(key.secret)}, ${at})`.execute(
          database.db,
        );
      }
      expect(await migrate(database)).toContain('0182_users');

      const users = await sql<{
        id: number;
        email: string;
        name: string;
        status: string;
        instance_admin: number;
      }>`
        select u.id, u.email, u.name, u.status, u.instance_admin from users u order by u.id`.execute(
        database.db,
      );
      expect(users.rows.map((u) => [u.email, u.name, u.status, u.instance_admin])).toEqual([
        ['service-key-1@promptline.invalid', 'ops admin', 'service', 1],
        ['service-key-2@promptline.invalid', 'ci', 'service', 0],
        ['service-key-3@promptline.invalid', 'dashboard', 'service', 0],
      ]);
      const members = await sql<{ user_id: number; role: string }>`
        select m.user_id, m.role from members m join api_keys k on k.user_id = m.user_id and k.project_id = m.project_id
        order by k.id`.execute(database.db);
      expect(members.rows.map((m) => m.role)).toEqual(['admin', 'editor', 'viewer']);

      // The old keys keep working, each acting as its own user, with its role.
      const app = await buildApp({ db: database, config: { logLevel: 'silent' }, logger: false, web: false });
      cleanups.unshift(() => app.close());
      for (const [i, key] of keys.entries()) {
        const me = await createTestClient(app, key.secret).get('/api/v1/session');
        expect(me.status).toBe(200);
        expect(me.body).toMatchObject({
          role: key.role,
          user: { email: `service-key-${i + 1}@promptline.invalid` },
        });
      }
    });
  });
}
