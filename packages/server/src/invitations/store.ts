import type { Role } from '@promptline/core';
import type { Db } from '../db/database.ts';
import type { InvitationTables } from './migration.ts';

const tables = (db: Db) => db.withTables<InvitationTables>();

export interface StoredInvitation {
  id: number;
  projectId: number;
  email: string;
  role: Role;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
}

type Row = Omit<InvitationTables['invitations'], 'id'> & { id: number };

const toInvitation = (row: Row): StoredInvitation => ({
  id: row.id,
  projectId: row.project_id,
  email: row.email,
  role: row.role as Role,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  acceptedAt: row.accepted_at,
  revokedAt: row.revoked_at,
});

/** SQL of invitations and of the first-run guard. Only a token's SHA-256 is stored. */
export function createInvitationStore() {
  return {
    async insert(
      db: Db,
      input: Omit<StoredInvitation, 'id' | 'acceptedAt' | 'revokedAt'> & { tokenHash: string },
    ): Promise<StoredInvitation> {
      const row = await tables(db)
        .insertInto('invitations')
        .values({
          project_id: input.projectId,
          email: input.email,
          role: input.role,
          token_hash: input.tokenHash,
          created_by: input.createdBy,
          created_at: input.createdAt,
          expires_at: input.expiresAt,
          accepted_at: null,
          revoked_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toInvitation(row);
    },

    async findByTokenHash(db: Db, tokenHash: string): Promise<StoredInvitation | undefined> {
      const row = await tables(db)
        .selectFrom('invitations')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toInvitation(row) : undefined;
    },

    async findById(db: Db, projectId: number, id: number): Promise<StoredInvitation | undefined> {
      const row = await tables(db)
        .selectFrom('invitations')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toInvitation(row) : undefined;
    },

    async list(db: Db, projectId: number): Promise<StoredInvitation[]> {
      const rows = await tables(db)
        .selectFrom('invitations')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toInvitation);
    },

    /** Invitations of an email still open at `now` (any project). */
    async pendingFor(db: Db, email: string, now: string): Promise<StoredInvitation[]> {
      const rows = await tables(db)
        .selectFrom('invitations')
        .selectAll()
        .where('email', '=', email)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('id')
        .execute();
      return rows.map(toInvitation);
    },

    /** Marks an open invitation accepted; false when another request used it first. */
    async markAccepted(db: Db, id: number, at: string): Promise<boolean> {
      const result = await tables(db)
        .updateTable('invitations')
        .set({ accepted_at: at })
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async revoke(db: Db, projectId: number, id: number, at: string): Promise<void> {
      await tables(db)
        .updateTable('invitations')
        .set({ revoked_at: at })
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .execute();
    },

    async firstRunDone(db: Db): Promise<boolean> {
      return (await tables(db).selectFrom('first_run').select('id').executeTakeFirst()) !== undefined;
    },

    /** Records the first run; a second one violates the primary key (the guard). */
    async recordFirstRun(db: Db, email: string, at: string): Promise<void> {
      await tables(db).insertInto('first_run').values({ id: 1, email, at }).execute();
    },
  };
}
