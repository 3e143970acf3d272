import type { Role } from '@promptline/core';
import type { Generated } from 'kysely';
import type { Db } from '../db/database.ts';
import type { UserTables } from '../users/migration.ts';

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
  user_sessions: {
    id: Generated<number>;
    token_hash: string;
    user_id: number;
    project_id: number;
    method: string;
    created_at: string;
    expires_at: string;
  };
};

/** How a person's session was opened. */
export type SignInMethod = 'oidc' | 'password';

/** A live person's session joined with the user and their membership of the session's project. */
export interface StoredUserSession {
  id: number;
  expiresAt: string;
  method: SignInMethod;
  projectId: number;
  userId: number;
  userEmail: string;
  userStatus: string;
  /** Null when the user is no longer a member of the project. */
  memberRole: Role | null;
}

/** A live session joined with the key behind it. */
export interface StoredSession {
  id: number;
  expiresAt: string;
  keyId: number;
  keyName: string;
  role: Role;
  projectId: number;
  keyRevokedAt: string | null;
  userId: number;
  userEmail: string;
  /** The user's role in the key's project; null when no longer a member. */
  memberRole: Role | null;
  /** The key's limits (see auth/scope.ts). */
  environments: string[] | null;
  promptPrefix: string | null;
  readOnly: boolean;
  keyExpiresAt: string | null;
}

const tables = (db: Db) => db.withTables<SessionTables & UserTables>();

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
        .innerJoin('users', 'users.id', 'api_keys.user_id')
        .leftJoin('members', (join) =>
          join
            .onRef('members.project_id', '=', 'api_keys.project_id')
            .onRef('members.user_id', '=', 'users.id'),
        )
        .select([
          'users.id as userId',
          'users.email as userEmail',
          'members.role as memberRole',
          'sessions.id as id',
          'sessions.expires_at as expiresAt',
          'api_keys.id as keyId',
          'api_keys.name as keyName',
          'api_keys.role as role',
          'api_keys.project_id as projectId',
          'api_keys.revoked_at as keyRevokedAt',
          'api_keys.environments as environments',
          'api_keys.prompt_prefix as promptPrefix',
          'api_keys.read_only as readOnly',
          'api_keys.expires_at as keyExpiresAt',
        ])
        .where('sessions.token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row
        ? {
            ...row,
            role: row.role as Role,
            memberRole: (row.memberRole as Role | null) ?? null,
            environments: row.environments === null ? null : (JSON.parse(row.environments) as string[]),
            readOnly: row.readOnly === 1,
          }
        : undefined;
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
      await tables(db).deleteFrom('user_sessions').where('expires_at', '<=', now).execute();
    },

    async insertUserSession(
      db: Db,
      row: {
        tokenHash: string;
        userId: number;
        projectId: number;
        method: SignInMethod;
        createdAt: string;
        expiresAt: string;
      },
    ): Promise<void> {
      await tables(db)
        .insertInto('user_sessions')
        .values({
          token_hash: row.tokenHash,
          user_id: row.userId,
          project_id: row.projectId,
          method: row.method,
          created_at: row.createdAt,
          expires_at: row.expiresAt,
        })
        .execute();
    },

    async findUserSession(db: Db, tokenHash: string): Promise<StoredUserSession | undefined> {
      const row = await tables(db)
        .selectFrom('user_sessions')
        .innerJoin('users', 'users.id', 'user_sessions.user_id')
        .leftJoin('members', (join) =>
          join
            .onRef('members.project_id', '=', 'user_sessions.project_id')
            .onRef('members.user_id', '=', 'users.id'),
        )
        .select([
          'user_sessions.id as id',
          'user_sessions.expires_at as expiresAt',
          'user_sessions.method as method',
          'user_sessions.project_id as projectId',
          'users.id as userId',
          'users.email as userEmail',
          'users.status as userStatus',
          'members.role as memberRole',
        ])
        .where('user_sessions.token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row
        ? {
            ...row,
            method: row.method as SignInMethod,
            memberRole: (row.memberRole as Role | null) ?? null,
          }
        : undefined;
    },

    async extendUserSession(db: Db, id: number, expiresAt: string): Promise<void> {
      await tables(db)
        .updateTable('user_sessions')
        .set({ expires_at: expiresAt })
        .where('id', '=', id)
        .execute();
    },

    async deleteUserSession(db: Db, tokenHash: string): Promise<void> {
      await tables(db).deleteFrom('user_sessions').where('token_hash', '=', tokenHash).execute();
    },

    /** Moves a person's session to another project (the project switcher). */
    async setUserSessionProject(db: Db, tokenHash: string, projectId: number): Promise<boolean> {
      const result = await tables(db)
        .updateTable('user_sessions')
        .set({ project_id: projectId })
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Ends every session of a user (their password was reset, their account locked). */
    async deleteUserSessionsOf(db: Db, userId: number): Promise<void> {
      await tables(db).deleteFrom('user_sessions').where('user_id', '=', userId).execute();
    },
  };
}

/** The name of a project (for "who am I"). */
export async function projectName(db: Db, projectId: number): Promise<string | undefined> {
  const row = await db.selectFrom('projects').select('name').where('id', '=', projectId).executeTakeFirst();
  return row?.name;
}
