import type { Role } from '@promptline/core';
import type { Generated } from 'kysely';
import type { Db } from '../db/database.ts';

/** Tables of this feature (created by migration `0030_sessions`). */
// A type alias, not an interface: withTables() needs the implicit index signature.
export type SessionTables = {
  sessions: {
    id: Generated<number>;
    token_hash: string;
    key_id: number;
    created_at: string;
    expires_at: string;
  };
};

/** A live session joined with the key behind it. */
export interface StoredSession {
  id: number;
  expiresAt: string;
  keyId: number;
  keyName: string;
  role: Role;
  projectId: number;
  keyRevokedAt: string | null;
}

const tables = (db: Db) => db.withTables<SessionTables>();

/** SQL of the sessions table. */
export function createSessionStore() {
  return {
    async insert(db: Db, row: { tokenHash: string; keyId: number; createdAt: string; expiresAt: string }) {
      await tables(db)
        .insertInto('sessions')
        .values({
          token_hash: row.tokenHash,
          key_id: row.keyId,
          created_at: row.createdAt,
          expires_at: row.expiresAt,
        })
        .execute();
    },

    async findByHash(db: Db, tokenHash: string): Promise<StoredSession | undefined> {
      const row = await tables(db)
        .selectFrom('sessions')
        .innerJoin('api_keys', 'api_keys.id', 'sessions.key_id')
        .select([
          'sessions.id as id',
          'sessions.expires_at as expiresAt',
          'api_keys.id as keyId',
          'api_keys.name as keyName',
          'api_keys.role as role',
          'api_keys.project_id as projectId',
          'api_keys.revoked_at as keyRevokedAt',
        ])
        .where('sessions.token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? { ...row, role: row.role as Role } : undefined;
    },

    async extend(db: Db, id: number, expiresAt: string): Promise<void> {
      await tables(db).updateTable('sessions').set({ expires_at: expiresAt }).where('id', '=', id).execute();
    },

    async deleteByHash(db: Db, tokenHash: string): Promise<void> {
      await tables(db).deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
    },

    /** ISO timestamps of one format compare as strings, on both dialects. */
    async deleteExpired(db: Db, now: string): Promise<void> {
      await tables(db).deleteFrom('sessions').where('expires_at', '<=', now).execute();
    },
  };
}

/** The name of a project (for "who am I"). */
export async function projectName(db: Db, projectId: number): Promise<string | undefined> {
  const row = await db.selectFrom('projects').select('name').where('id', '=', projectId).executeTakeFirst();
  return row?.name;
}
