import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/** Browser sessions: the cookie's token is stored only as its SHA-256, bound to the API key that opened it. */
export function sessionsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('sessions'), dialect)
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('key_id', 'integer', (c) => c.notNull().references('api_keys.id'))
        .addColumn('created_at', 'text', notNull)
        .addColumn('expires_at', 'text', notNull)
        .execute();
      // The purge of expired sessions scans by expiry.
      await db.schema.createIndex('sessions_expires_at').on('sessions').columns(['expires_at']).execute();
    },
  };
}
