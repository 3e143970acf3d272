import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** SQL of the health checks. */
export function createHealthStore() {
  return {
    /** A round trip to the database: throws when it cannot answer. */
    async ping(db: Db): Promise<void> {
      await sql`select 1`.execute(db);
    },
  };
}
