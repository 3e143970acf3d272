/**
 * What every start does before it serves: migrate, then the first-start setup. Several instances
 * may start at once against one fresh PostgreSQL (a deploy that scales to three replicas), so both
 * steps run under one PostgreSQL advisory lock: the first instance migrates and seeds, the others
 * wait for it and then find everything in place.
 */
import { sql } from 'kysely';
import { bootstrap } from './bootstrap.ts';
import type { Clock } from './clock.ts';
import type { Database } from './db/database.ts';
import { migrate } from './db/migrations.ts';

export interface SetUpOptions {
  apiKey?: string | undefined;
  generateKeyIfNone?: boolean;
  clock?: Clock;
}

/**
 * Runs `work` while holding the setup lock of this database. On PostgreSQL that is a session-level
 * advisory lock keyed by the current schema (so instances of two installations sharing a server in
 * different schemas do not wait for each other), held on a connection reserved for it; `work` uses
 * the pool's other connections. SQLite needs none: one process owns the file.
 */
export async function withSetupLock<T>(database: Database, work: () => Promise<T>): Promise<T> {
  if (database.dialect !== 'postgres') return work();
  return database.db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(hashtext('promptline.setup:' || current_schema()))`.execute(connection);
    try {
      return await work();
    } finally {
      await sql`select pg_advisory_unlock(hashtext('promptline.setup:' || current_schema()))`.execute(
        connection,
      );
    }
  });
}

/**
 * Migrates the database and runs the first-start setup (default project, environments, the
 * configured or a generated admin key), safe to run from several instances at once.
 *
 * @returns the default project's id and the generated admin key, when this start made one.
 */
export async function setUpDatabase(
  database: Database,
  options: SetUpOptions = {},
): Promise<{ projectId: number; generatedKey: string | null; restoredKeyId: number | null }> {
  return withSetupLock(database, async () => {
    await migrate(database);
    return bootstrap(database, options);
  });
}
