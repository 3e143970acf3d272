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

/**
 * Sessions of people (signed in with SSO or a password, not with a key): bound to the user and the
 * project they work in; their role is read from the membership on every request.
 */
export function userSessionsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('user_sessions'), dialect)
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        /** `oidc` or `password`: how the person proved who they are. */
        .addColumn('method', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('expires_at', 'text', notNull)
        .execute();
      await db.schema
        .createIndex('user_sessions_expires_at')
        .on('user_sessions')
        .columns(['expires_at'])
        .execute();
      // Ending every session of a user (removed, locked) looks them up by user.
      await db.schema.createIndex('user_sessions_user').on('user_sessions').columns(['user_id']).execute();
    },
  };
}
