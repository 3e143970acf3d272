/** The SQL of score definitions. */
import type { ScoreDefinition } from '@promptline/core';
import type { Selectable } from 'kysely';
import { z } from 'zod';
import { decodeJsonAs, encodeJson } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
import { annotationDb, type ScoreDefinitionsTable } from './migration.ts';

export interface StoredDefinition extends ScoreDefinition {
  projectId: number;
}

const Categories = z.array(z.string());
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toDefinition(row: Selectable<ScoreDefinitionsTable>): StoredDefinition {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    dataType: row.data_type === 'boolean' || row.data_type === 'categorical' ? row.data_type : 'numeric',
    min: num(row.min_value),
    max: num(row.max_value),
    categories: decodeJsonAs(Categories, row.categories, 'score definition categories'),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export type DefinitionRow = Omit<StoredDefinition, 'id'>;

export function createDefinitionStore() {
  return {
    async insert(db: Db, d: DefinitionRow): Promise<StoredDefinition> {
      const row = await annotationDb(db)
        .insertInto('score_definitions')
        .values({
          project_id: d.projectId,
          name: d.name,
          description: d.description,
          data_type: d.dataType,
          min_value: d.min,
          max_value: d.max,
          categories: encodeJson(d.categories),
          created_by: d.createdBy,
          created_at: d.createdAt,
          updated_at: d.updatedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toDefinition(row);
    },

    async list(db: Db, projectId: number): Promise<StoredDefinition[]> {
      const rows = await annotationDb(db)
        .selectFrom('score_definitions')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('name')
        .execute();
      return rows.map(toDefinition);
    },

    async find(db: Db, projectId: number, id: number): Promise<StoredDefinition | undefined> {
      const row = await annotationDb(db)
        .selectFrom('score_definitions')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toDefinition(row) : undefined;
    },

    async byNames(db: Db, projectId: number, names: readonly string[]): Promise<StoredDefinition[]> {
      if (names.length === 0) return [];
      const rows = await annotationDb(db)
        .selectFrom('score_definitions')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('name', 'in', [...names])
        .execute();
      return rows.map(toDefinition);
    },

    async update(
      db: Db,
      id: number,
      change: {
        description: string;
        min: number | null;
        max: number | null;
        categories: string[];
        updatedAt: string;
      },
    ): Promise<StoredDefinition> {
      const row = await annotationDb(db)
        .updateTable('score_definitions')
        .set({
          description: change.description,
          min_value: change.min,
          max_value: change.max,
          categories: encodeJson(change.categories),
          updated_at: change.updatedAt,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toDefinition(row);
    },

    async remove(db: Db, id: number): Promise<void> {
      await annotationDb(db).deleteFrom('score_definitions').where('id', '=', id).execute();
    },
  };
}
