import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database, type Dialect } from './db/database.ts';
import { setUpDatabase } from './setup.ts';
import { createTestSchema, TEST_POSTGRES_URL } from './test-helpers/database.ts';

const INSTANCES = 3;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A fresh, empty (unmigrated) database and a way to open it as a separate instance would: its own
 * pool on PostgreSQL, its own connection to the same file on SQLite.
 */
async function freshDatabase(dialect: Dialect): Promise<() => Database> {
  if (dialect === 'postgres') {
    const schema = await createTestSchema();
    return () => createDatabase({ databaseUrl: TEST_POSTGRES_URL, dataDir: '.', postgresSchema: schema });
  }
  const dir = mkdtempSync(join(tmpdir(), 'promptline-setup-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return () => createDatabase({ dataDir: dir });
}

async function startAtOnce(open: () => Database, options: Parameters<typeof setUpDatabase>[1]) {
  const instances = Array.from({ length: INSTANCES }, open);
  cleanups.unshift(async () => {
    for (const instance of instances) await instance.close();
  });
  const results = await Promise.allSettled(instances.map((db) => setUpDatabase(db, options)));
  const inspect = instances[0] as Database;
  const count = async (table: 'projects' | 'environments' | 'api_keys') =>
    Number(
      (
        await inspect.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    results,
    projects: await count('projects'),
    environments: await count('environments'),
    keys: await count('api_keys'),
  };
}

// PostgreSQL only: it is the database several instances share. One SQLite file belongs to one
// server process (its data dir); Kysely runs SQLite migrations outside a transaction.
for (const dialect of ['postgres'] as const) {
  describe(`${dialect}: ${INSTANCES} instances starting at once on a fresh database`, () => {
    it('all start; one project, one set of environments and one generated admin key', async () => {
      const open = await freshDatabase(dialect);
      const started = await startAtOnce(open, { generateKeyIfNone: true });
      expect(started.results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(
        Array(INSTANCES).fill('ok'),
      );
      expect(started.projects).toBe(1);
      expect(started.environments).toBe(3);
      expect(started.keys).toBe(1);
      // Exactly one instance generated (and so shows) the key; the others found it.
      const generated = started.results.flatMap((r) =>
        r.status === 'fulfilled' && r.value.generatedKey ? [r.value.generatedKey] : [],
      );
      expect(generated).toHaveLength(1);
    });

    it('all start with the same PROMPTLINE_API_KEY, registered once', async () => {
      const open = await freshDatabase(dialect);
      const started = await startAtOnce(open, { apiKey: 'pl_shared-bootstrap-key-0123456789' });
      expect(started.results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(
        Array(INSTANCES).fill('ok'),
      );
      expect(started.projects).toBe(1);
      expect(started.environments).toBe(3);
      expect(started.keys).toBe(1);
    });
  });
}
