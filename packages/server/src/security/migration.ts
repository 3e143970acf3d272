import type { Generated, Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

// A type alias, not an interface: withTables() needs the implicit index signature.
export type SecurityTables = {
  /** The instance's security log: append-only, one hash chain for the whole instance. */
  security_events: {
    id: Generated<number>;
    type: string;
    /** Lowercase; '' when unknown. */
    email: string;
    actor: string;
    /** The project the event concerns; null for none (a refused sign-in). No foreign key: the log outlives what it names. */
    project_id: number | null;
    /** JSON object. */
    data: string;
    at: string;
    prev_hash: string;
    hash: string;
  };
};

/** The instance security log (`security_events`). */
export function securityEventsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('security_events'), dialect)
        .addColumn('type', 'text', notNull)
        .addColumn('email', 'text', notNull)
        .addColumn('actor', 'text', notNull)
        .addColumn('project_id', 'integer')
        .addColumn('data', 'text', notNull)
        .addColumn('at', 'text', notNull)
        .addColumn('prev_hash', 'text', notNull)
        .addColumn('hash', 'text', notNull)
        .execute();
      // The filters page newest-first by id within one email or one type.
      await db.schema
        .createIndex('security_events_email')
        .on('security_events')
        .columns(['email', 'id'])
        .execute();
      await db.schema
        .createIndex('security_events_type')
        .on('security_events')
        .columns(['type', 'id'])
        .execute();
    },
  };
}
