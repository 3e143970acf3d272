import { AppError, type Branch } from '@promptline/core';
import { type Db, type Dialect, onUniqueViolation } from '../db/database.ts';
import type { BranchTables } from './migration.ts';

const tables = (db: Db) => db.withTables<BranchTables>();

/** A branch row, decoded, with its ids. */
export interface StoredBranch extends Branch {
  id: number;
  promptId: number;
}

const COLUMNS = [
  'id',
  'prompt_id',
  'name',
  'base',
  'head',
  'created_at',
  'created_by',
  'deleted_at',
] as const;

type Row = Omit<BranchTables['prompt_branches'], 'id' | 'project_id'> & { id: number };

function toBranch(row: Row): StoredBranch {
  return {
    id: row.id,
    promptId: row.prompt_id,
    name: row.name,
    base: row.base,
    head: row.head,
    createdAt: row.created_at,
    createdBy: row.created_by,
    deletedAt: row.deleted_at,
  };
}

/** SQL of prompt branches (`prompt_branches`); their versions live in `versions` (store.ts). */
export function createBranchStore(dialect: Dialect) {
  return {
    async insert(
      db: Db,
      input: {
        projectId: number;
        promptId: number;
        prompt: string;
        name: string;
        base: number;
        by: string;
        at: string;
      },
    ): Promise<StoredBranch> {
      const row = await onUniqueViolation(
        () =>
          tables(db)
            .insertInto('prompt_branches')
            .values({
              project_id: input.projectId,
              prompt_id: input.promptId,
              name: input.name,
              base: input.base,
              head: input.base,
              created_at: input.at,
              created_by: input.by,
              deleted_at: null,
            })
            .returning(COLUMNS)
            .executeTakeFirstOrThrow(),
        () =>
          new AppError('BRANCH_EXISTS', `"${input.prompt}" already has a branch named "${input.name}".`, {
            details: { prompt: input.prompt, branch: input.name },
            hint: 'Branch names are never reused, not even after a delete (its versions keep the name): pick another name.',
          }),
      );
      return toBranch(row);
    },

    /** A branch by name, deleted ones included. With `lock`, PostgreSQL holds the row until the transaction ends. */
    async find(db: Db, promptId: number, name: string, lock = false): Promise<StoredBranch | undefined> {
      let q = tables(db)
        .selectFrom('prompt_branches')
        .select(COLUMNS)
        .where('prompt_id', '=', promptId)
        .where('name', '=', name);
      if (lock && dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? toBranch(row) : undefined;
    },

    async list(db: Db, promptId: number, includeDeleted: boolean): Promise<StoredBranch[]> {
      let q = tables(db).selectFrom('prompt_branches').select(COLUMNS).where('prompt_id', '=', promptId);
      if (!includeDeleted) q = q.where('deleted_at', 'is', null);
      return (await q.orderBy('name', 'asc').execute()).map(toBranch);
    },

    async setHead(db: Db, id: number, head: number): Promise<void> {
      await tables(db).updateTable('prompt_branches').set({ head }).where('id', '=', id).execute();
    },

    async markDeleted(db: Db, id: number, at: string): Promise<StoredBranch> {
      const row = await tables(db)
        .updateTable('prompt_branches')
        .set({ deleted_at: at })
        .where('id', '=', id)
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toBranch(row);
    },
  };
}

export type BranchStore = ReturnType<typeof createBranchStore>;
