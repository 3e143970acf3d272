import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { createDatabase, type Database, type Dialect } from '../db/database.ts';
import { migrate } from '../db/migrations.ts';

/** The PostgreSQL every developer and CI machine runs (trust auth). Override with PROMPTLINE_TEST_DATABASE_URL. */
export const TEST_POSTGRES_URL =
  process.env.PROMPTLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];

/** A fresh, migrated database: a temp SQLite file, or a new PostgreSQL schema dropped on `close`. */
export interface TestDatabase extends Database {
  /** Runs raw SQL on it (for tests that tamper with rows). */
  exec(sqlText: string): Promise<void>;
}

/** Runs one statement on a connection of its own, outside any pool (schema creation and removal). */
async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Migrates `database` and adds `exec`; `cleanup` runs after it closes (or when migrating fails). */
async function prepare(
  database: Database,
  cleanup: () => Promise<void>,
  migrateTo: string | undefined,
): Promise<TestDatabase> {
  const close = async () => {
    await database.close();
    await cleanup();
  };
  try {
    await migrate(database, migrateTo === undefined ? {} : { to: migrateTo });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    ...database,
    exec: async (text) => {
      await sql.raw(text).execute(database.db);
    },
    close,
  };
}

/** `migrateTo` stops after that migration (to test a later one over older data); default all. */
export async function createTestDatabase(
  dialect: Dialect,
  options: { migrateTo?: string } = {},
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'promptline-test-'));
    return prepare(
      createDatabase({ dataDir: dir }),
      async () => rmSync(dir, { recursive: true, force: true }),
      options.migrateTo,
    );
  }
  const schema = await createTestSchema();
  const database = createDatabase({
    databaseUrl: TEST_POSTGRES_URL,
    dataDir: '.',
    postgresSchema: schema,
    poolSize: 20,
  });
  // The schema stays until the run ends (global-setup.ts drops the run's schemas then).
  return prepare(database, async () => {}, options.migrateTo);
}

/**
 * Creates an empty PostgreSQL schema for one test, named after the run (`t_<run>_<random>`) so the
 * run's global teardown drops it; never dropped earlier (see global-setup.ts for why).
 */
export async function createTestSchema(): Promise<string> {
  const run = process.env.PROMPTLINE_TEST_RUN ?? 'adhoc';
  const schema = `t_${run}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${schema}`);
  return schema;
}

/**
 * Runs a suite once per dialect, each on its own fresh database made before the suite and
 * dropped after. `get()` returns it inside tests and hooks.
 *
 * @example
 * forEachDialect((dialect, get) => { it('stores', async () => { const db = get(); … }); });
 */
export function forEachDialect(suite: (dialect: Dialect, get: () => TestDatabase) => void): void {
  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let database: TestDatabase | undefined;
      beforeAll(async () => {
        database = await createTestDatabase(dialect);
      });
      afterAll(async () => {
        await database?.close();
      });
      suite(dialect, () => {
        if (!database) throw new Error('the test database is not ready yet (use it inside tests or hooks)');
        return database;
      });
    });
  }
}
