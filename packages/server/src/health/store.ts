import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** SQL of the health and readiness checks. */
export function createHealthStore() {
  return {
    /** A round trip to the database: throws when it cannot answer. */
    async ping(db: Db): Promise<void> {
      await sql`select 1`.execute(db);
    },

    /** Names of the migrations recorded as done (Kysely's table, in the current schema). */
    async executedMigrations(db: Db): Promise<string[]> {
      const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
      return rows.map((row) => row.name);
    },
  };
}

export type HealthStore = ReturnType<typeof createHealthStore>;
