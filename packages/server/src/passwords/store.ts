import type { Db } from '../db/database.ts';
import type { PasswordTables } from './migration.ts';

const tables = (db: Db) => db.withTables<PasswordTables>();

/** SQL of passwords and failed sign-in counts. */
export function createPasswordStore() {
  return {
    async hashOf(db: Db, userId: number): Promise<string | undefined> {
      const row = await tables(db)
        .selectFrom('user_passwords')
        .select('hash')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.hash;
    },

    async put(db: Db, userId: number, hash: string, at: string): Promise<void> {
      await tables(db)
        .insertInto('user_passwords')
        .values({ user_id: userId, hash, updated_at: at })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ hash, updated_at: at }))
        .execute();
    },

    async failures(
      db: Db,
      email: string,
    ): Promise<{ failures: number; lockedUntil: string | null } | undefined> {
      const row = await tables(db)
        .selectFrom('sign_in_failures')
        .select(['failures', 'locked_until'])
        .where('email', '=', email)
        .executeTakeFirst();
      return row ? { failures: row.failures, lockedUntil: row.locked_until } : undefined;
    },

    /** Counts one more failure (atomically, for concurrent attempts); answers the new count. */
    async addFailure(db: Db, email: string, at: string): Promise<number> {
      const row = await tables(db)
        .insertInto('sign_in_failures')
        .values({ email, failures: 1, locked_until: null, updated_at: at })
        .onConflict((oc) =>
          oc.column('email').doUpdateSet((eb) => ({
            failures: eb('sign_in_failures.failures', '+', 1),
            updated_at: at,
          })),
        )
        .returning('failures')
        .executeTakeFirstOrThrow();
      return row.failures;
    },

    async lock(db: Db, email: string, until: string): Promise<void> {
      await tables(db)
        .updateTable('sign_in_failures')
        .set({ locked_until: until, failures: 0 })
        .where('email', '=', email)
        .execute();
    },

    async clear(db: Db, email: string): Promise<void> {
      await tables(db).deleteFrom('sign_in_failures').where('email', '=', email).execute();
    },
  };
}
