import type { ApiKey, Role } from '@promptline/core';
import type { Db } from '../db/database.ts';
import type { UserTables } from '../users/migration.ts';

export interface StoredKey extends ApiKey {
  projectId: number;
}

/** A key as the auth hook needs it: the key, its user, and that user's role in the key's project. */
export interface KeyIdentity extends StoredKey {
  /** Null when the user is no longer a member of the key's project (the key then acts for nobody). */
  memberRole: Role | null;
}

const tables = (db: Db) => db.withTables<UserTables>();

interface Row {
  id: number;
  project_id: number;
  name: string;
  role: string;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  user_id: number;
  user_email: string;
  user_name: string;
  environments: string | null;
  prompt_prefix: string | null;
  read_only: number;
  expires_at: string | null;
  rotated_from: number | null;
}

/** The limits a key is created with (see scope.ts). */
export interface KeyLimits {
  environments: string[] | null;
  promptPrefix: string | null;
  readOnly: boolean;
  expiresAt: string | null;
  rotatedFrom: number | null;
}

function toKey(row: Row): StoredKey {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    role: row.role as Role,
    prefix: row.prefix,
    user: { id: row.user_id, email: row.user_email, name: row.user_name },
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    environments: row.environments === null ? null : (JSON.parse(row.environments) as string[]),
    promptPrefix: row.prompt_prefix,
    readOnly: row.read_only === 1,
    expiresAt: row.expires_at,
    rotatedFrom: row.rotated_from,
  };
}

/** Keys joined with their user (every key has one since migration 0182_users). */
function keysWithUser(db: Db) {
  return tables(db)
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .select([
      'api_keys.id as id',
      'api_keys.project_id as project_id',
      'api_keys.name as name',
      'api_keys.role as role',
      'api_keys.prefix as prefix',
      'api_keys.created_at as created_at',
      'api_keys.revoked_at as revoked_at',
      'api_keys.last_used_at as last_used_at',
      'api_keys.environments as environments',
      'api_keys.prompt_prefix as prompt_prefix',
      'api_keys.read_only as read_only',
      'api_keys.expires_at as expires_at',
      'api_keys.rotated_from as rotated_from',
      'users.id as user_id',
      'users.email as user_email',
      'users.name as user_name',
    ]);
}

/** SQL of API keys. Only the SHA-256 of a key is ever stored. */
export function createApiKeyStore() {
  return {
    async insert(
      db: Db,
      input: {
        projectId: number;
        userId: number;
        name: string;
        role: Role;
        prefix: string;
        keyHash: string;
        createdAt: string;
      } & KeyLimits,
    ): Promise<StoredKey> {
      const row = await db
        .insertInto('api_keys')
        .values({
          project_id: input.projectId,
          user_id: input.userId,
          name: input.name,
          role: input.role,
          prefix: input.prefix,
          key_hash: input.keyHash,
          created_at: input.createdAt,
          revoked_at: null,
          last_used_at: null,
          environments: input.environments === null ? null : JSON.stringify(input.environments),
          prompt_prefix: input.promptPrefix,
          read_only: input.readOnly ? 1 : 0,
          expires_at: input.expiresAt,
          rotated_from: input.rotatedFrom,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const stored = await keysWithUser(db).where('api_keys.id', '=', row.id).executeTakeFirstOrThrow();
      return toKey(stored);
    },

    /** One query on the auth path: the key, its user, and the user's membership of the key's project. */
    async findByHash(db: Db, keyHash: string): Promise<KeyIdentity | undefined> {
      const row = await keysWithUser(db)
        .leftJoin('members', (join) =>
          join
            .onRef('members.project_id', '=', 'api_keys.project_id')
            .onRef('members.user_id', '=', 'api_keys.user_id'),
        )
        .select('members.role as member_role')
        .where('api_keys.key_hash', '=', keyHash)
        .executeTakeFirst();
      return row ? { ...toKey(row), memberRole: (row.member_role as Role | null) ?? null } : undefined;
    },

    async findById(db: Db, projectId: number, id: number): Promise<StoredKey | undefined> {
      const row = await keysWithUser(db)
        .where('api_keys.project_id', '=', projectId)
        .where('api_keys.id', '=', id)
        .executeTakeFirst();
      return row ? toKey(row) : undefined;
    },

    async list(db: Db, projectId: number): Promise<StoredKey[]> {
      const rows = await keysWithUser(db)
        .where('api_keys.project_id', '=', projectId)
        .orderBy('api_keys.id', 'asc')
        .execute();
      return rows.map(toKey);
    },

    async count(db: Db, projectId: number): Promise<number> {
      const row = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('project_id', '=', projectId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * Ids of the project's active (not revoked, not expired) admin keys. `lock` (PostgreSQL) holds their rows until the
     * transaction ends, so two concurrent revocations cannot each leave the other as the last admin.
     */
    async activeAdminIds(db: Db, projectId: number, lock: boolean, now: string): Promise<number[]> {
      let q = db
        .selectFrom('api_keys')
        .select('id')
        .where('project_id', '=', projectId)
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null)
        // An expired key (a rotated one past its grace period) unlocks nothing.
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      if (lock) q = q.forUpdate();
      return (await q.execute()).map((row) => row.id);
    },

    async revoke(db: Db, projectId: number, id: number, at: string): Promise<void> {
      await db
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },

    /** Sets when a key stops working (rotation's grace period). */
    async expire(db: Db, projectId: number, id: number, at: string): Promise<void> {
      await db
        .updateTable('api_keys')
        .set({ expires_at: at })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .execute();
    },

    async restore(db: Db, id: number): Promise<void> {
      await db.updateTable('api_keys').set({ revoked_at: null }).where('id', '=', id).execute();
    },

    async touch(db: Db, id: number, at: string): Promise<void> {
      await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}
