import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';

/**
 * `audit_events.chain_id`: the id an event's hash covers. It is the row id for every event written
 * on this instance, and the event's id on the instance it was first written on for events carried
 * over by `promptline import`: row ids are assigned by the target database, but the hash (and so
 * the chain's proof) must stay exactly what the source computed. Rows written before this
 * migration get their own id.
 */
export function auditChainIdMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('audit_events').addColumn('chain_id', 'integer').execute();
      await sql`update audit_events set chain_id = id`.execute(db);
    },
  };
}
