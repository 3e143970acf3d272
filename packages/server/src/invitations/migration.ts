import type { Generated, Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

// A type alias, not an interface: withTables() needs the implicit index signature.
export type InvitationTables = {
  invitations: {
    id: Generated<number>;
    project_id: number;
    /** Lowercase. */
    email: string;
    role: string;
    /** SHA-256 of the one-time token; the token itself is only in the link. */
    token_hash: string;
    created_by: string;
    created_at: string;
    expires_at: string;
    accepted_at: string | null;
    revoked_at: string | null;
  };
  /** One row (id 1) once the first-run screen created the first admin: it works once. */
  first_run: {
    id: number;
    email: string;
    at: string;
  };
};

/** Invitations (one-time links to join a project) and the first-run guard. */
export function invitationsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('invitations'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('email', 'text', notNull)
        .addColumn('role', 'text', notNull)
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('expires_at', 'text', notNull)
        .addColumn('accepted_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      // Single sign-on claims the pending invitations of an email.
      await db.schema.createIndex('invitations_email').on('invitations').columns(['email']).execute();
      await db.schema
        .createTable('first_run')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('email', 'text', notNull)
        .addColumn('at', 'text', notNull)
        .execute();
    },
  };
}
