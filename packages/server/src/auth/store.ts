import type { ApiKey, Role } from '@promptline/core';
import type { Db } from '../db/database.ts';
import type { ApiKeysTable } from '../db/schema.ts';

export interface StoredKey extends ApiKey {
  projectId: number;
}

type Row = Omit<ApiKeysTable, 'id' | 'key_hash'> & { id: number };

function toKey(row: Row): StoredKey {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    role: row.role as Role,
    prefix: row.prefix,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

const COLUMNS = [
  'id',
  'project_id',
  'name',
  'role',
  'prefix',
  'created_at',
  'revoked_at',
  'last_used_at',
] as const;

/** SQL of API keys. Only the SHA-256 of a key is ever stored. */
export function createApiKeyStore() {
  return {
    async insert(
      db: Db,
      input: {
        projectId: number;
        name: string;
        role: Role;
        prefix: string;
        keyHash: string;
        createdAt: string;
      },
    ): Promise<StoredKey> {
      const row = await db
        .insertInto('api_keys')
        .values({
          project_id: input.projectId,
          name: input.name,
          role: input.role,
          prefix: input.prefix,
          key_hash: input.keyHash,
          created_at: input.createdAt,
          revoked_at: null,
          last_used_at: null,
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toKey(row);
    },

    async findByHash(db: Db, keyHash: string): Promise<StoredKey | undefined> {
      const row = await db
        .selectFrom('api_keys')
        .select(COLUMNS)
        .where('key_hash', '=', keyHash)
        .executeTakeFirst();
      return row ? toKey(row) : undefined;
    },

    async findById(db: Db, projectId: number, id: number): Promise<StoredKey | undefined> {
      const row = await db
        .selectFrom('api_keys')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toKey(row) : undefined;
    },

    async list(db: Db, projectId: number): Promise<StoredKey[]> {
      const rows = await db
        .selectFrom('api_keys')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .orderBy('id', 'asc')
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
     * Ids of the project's active admin keys. `lock` (PostgreSQL) holds their rows until the
     * transaction ends, so two concurrent revocations cannot each leave the other as the last admin.
     */
    async activeAdminIds(db: Db, projectId: number, lock: boolean): Promise<number[]> {
      let q = db
        .selectFrom('api_keys')
        .select('id')
        .where('project_id', '=', projectId)
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null);
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

    async restore(db: Db, id: number): Promise<void> {
      await db.updateTable('api_keys').set({ revoked_at: null }).where('id', '=', id).execute();
    },

    async touch(db: Db, id: number, at: string): Promise<void> {
      await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}
