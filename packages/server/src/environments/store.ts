import type { Environment } from '@promptline/core';
import { AppError, EnvironmentPolicy } from '@promptline/core';
import { decodeBool, decodeJsonAs, encodeBool, encodeJson } from '../db/codecs.ts';
import { type Db, onUniqueViolation } from '../db/database.ts';
import type { EnvironmentsTable } from '../db/schema.ts';

/** An environment with its row id, for joins. */
export interface StoredEnvironment extends Environment {
  id: number;
}

type Row = Omit<EnvironmentsTable, 'id'> & { id: number };

const COLUMNS = [
  'id',
  'project_id',
  'name',
  'description',
  'rank',
  'protected',
  'archived',
  'created_at',
  'policy',
] as const;

function toEnvironment(row: Row): StoredEnvironment {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    rank: row.rank,
    protected: decodeBool(row.protected),
    archived: decodeBool(row.archived),
    createdAt: row.created_at,
    policy: decodeJsonAs(EnvironmentPolicy, row.policy, 'environment policy'),
  };
}

function exists(name: string): AppError {
  return new AppError(
    'ENVIRONMENT_EXISTS',
    `An environment named "${name}" already exists in this project. Pick another name.`,
  );
}

/** SQL of environments. */
export function createEnvironmentStore() {
  return {
    async list(db: Db, projectId: number): Promise<StoredEnvironment[]> {
      const rows = await db
        .selectFrom('environments')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .orderBy('rank', 'asc')
        .orderBy('name', 'asc')
        .execute();
      return rows.map(toEnvironment);
    },

    async everywhere(db: Db): Promise<{ projectId: number; name: string }[]> {
      const rows = await db.selectFrom('environments').select(['project_id', 'name']).execute();
      return rows.map((row) => ({ projectId: row.project_id, name: row.name }));
    },

    async findByName(db: Db, projectId: number, name: string): Promise<StoredEnvironment | undefined> {
      const row = await db
        .selectFrom('environments')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row ? toEnvironment(row) : undefined;
    },

    async insert(
      db: Db,
      projectId: number,
      input: { name: string; description: string; rank: number; protected: boolean; createdAt: string },
    ): Promise<StoredEnvironment> {
      const row = await onUniqueViolation(
        () =>
          db
            .insertInto('environments')
            .values({
              project_id: projectId,
              name: input.name,
              description: input.description,
              rank: input.rank,
              protected: encodeBool(input.protected),
              archived: 0,
              created_at: input.createdAt,
              policy: '{}',
            })
            .returning(COLUMNS)
            .executeTakeFirstOrThrow(),
        () => exists(input.name),
      );
      return toEnvironment(row);
    },

    async update(
      db: Db,
      id: number,
      patch: {
        name: string;
        description: string;
        rank: number;
        protected: boolean;
        archived: boolean;
        policy: EnvironmentPolicy;
      },
    ): Promise<StoredEnvironment> {
      const row = await onUniqueViolation(
        () =>
          db
            .updateTable('environments')
            .set({
              name: patch.name,
              description: patch.description,
              rank: patch.rank,
              protected: encodeBool(patch.protected),
              archived: encodeBool(patch.archived),
              policy: encodeJson(patch.policy),
            })
            .where('id', '=', id)
            .returning(COLUMNS)
            .executeTakeFirstOrThrow(),
        () => exists(patch.name),
      );
      return toEnvironment(row);
    },

    async maxRank(db: Db, projectId: number): Promise<number> {
      const row = await db
        .selectFrom('environments')
        .select((eb) => eb.fn.max('rank').as('rank'))
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return row?.rank === null || row?.rank === undefined ? 0 : Number(row.rank);
    },
  };
}

export type EnvironmentStore = ReturnType<typeof createEnvironmentStore>;
