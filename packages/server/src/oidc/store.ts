import type { Db } from '../db/database.ts';
import type { OidcTables } from './migration.ts';

const tables = (db: Db) => db.withTables<OidcTables>();

export interface OidcLogin {
  codeVerifier: string;
  nonce: string;
  next: string;
  expiresAt: string;
}

/** SQL of pending OpenID Connect sign-in attempts. */
export function createOidcStore() {
  return {
    async insert(
      db: Db,
      row: {
        stateHash: string;
        codeVerifier: string;
        nonce: string;
        next: string;
        createdAt: string;
        expiresAt: string;
      },
    ): Promise<void> {
      await tables(db)
        .insertInto('oidc_logins')
        .values({
          state_hash: row.stateHash,
          code_verifier: row.codeVerifier,
          nonce: row.nonce,
          next: row.next,
          created_at: row.createdAt,
          expires_at: row.expiresAt,
        })
        .execute();
    },

    /** Takes the attempt out (one use): answers it, or undefined when unknown or already taken. */
    async take(db: Db, stateHash: string): Promise<OidcLogin | undefined> {
      const row = await tables(db)
        .deleteFrom('oidc_logins')
        .where('state_hash', '=', stateHash)
        .returning(['code_verifier', 'nonce', 'next', 'expires_at'])
        .executeTakeFirst();
      return row
        ? { codeVerifier: row.code_verifier, nonce: row.nonce, next: row.next, expiresAt: row.expires_at }
        : undefined;
    },

    /** ISO timestamps of one format compare as strings, on both dialects. */
    async deleteExpired(db: Db, now: string): Promise<void> {
      await tables(db).deleteFrom('oidc_logins').where('expires_at', '<=', now).execute();
    },
  };
}
