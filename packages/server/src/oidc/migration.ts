import type { Generated, Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

// A type alias, not an interface: withTables() needs the implicit index signature.
export type OidcTables = {
  oidc_logins: {
    id: Generated<number>;
    /** SHA-256 of the `state` sent to the provider: the callback finds its attempt by it. */
    state_hash: string;
    code_verifier: string;
    nonce: string;
    /** Where the web app goes once signed in (a same-app path). */
    next: string;
    created_at: string;
    expires_at: string;
  };
};

/**
 * Sign-in attempts with the OpenID provider between the redirect to it and its callback: kept in
 * the database (not in the instance's memory) so that the callback may reach any instance, and
 * deleted when used, so that a callback replayed with the same state is refused.
 */
export function oidcLoginsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('oidc_logins'), dialect)
        .addColumn('state_hash', 'text', (c) => c.notNull().unique())
        .addColumn('code_verifier', 'text', notNull)
        .addColumn('nonce', 'text', notNull)
        .addColumn('next', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('expires_at', 'text', notNull)
        .execute();
      await db.schema
        .createIndex('oidc_logins_expires_at')
        .on('oidc_logins')
        .columns(['expires_at'])
        .execute();
    },
  };
}
