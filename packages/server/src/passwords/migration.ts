import type { Generated, Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

// A type alias, not an interface: withTables() needs the implicit index signature.
export type PasswordTables = {
  user_passwords: {
    id: Generated<number>;
    user_id: number;
    /** `scrypt$N$r$p$salt$hash` (see hash.ts); never the password. */
    hash: string;
    updated_at: string;
  };
  sign_in_failures: {
    id: Generated<number>;
    /** Lowercase; kept for unknown addresses too, so a lockout says nothing about whether an account exists. */
    email: string;
    failures: number;
    locked_until: string | null;
    updated_at: string;
  };
};

/** Local passwords (one per user) and the failed-attempt counts behind the lockout. */
export function passwordsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('user_passwords'), dialect)
        .addColumn('user_id', 'integer', (c) => c.notNull().unique().references('users.id'))
        .addColumn('hash', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .execute();
      await withId(db.schema.createTable('sign_in_failures'), dialect)
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('failures', 'integer', notNull)
        .addColumn('locked_until', 'text')
        .addColumn('updated_at', 'text', notNull)
        .execute();
    },
  };
}
