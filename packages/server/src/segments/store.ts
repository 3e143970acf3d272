import { SegmentDefinition } from '@promptline/core';
import { decodeJsonAs, encodeJson } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
import type { SegmentTables } from './migration.ts';

const tables = (db: Db) => db.withTables<SegmentTables>();

/** A segment row, decoded. */
export interface StoredSegment {
  id: number;
  name: string;
  description: string;
  definition: SegmentDefinition;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

const COLUMNS = [
  'id',
  'name',
  'description',
  'definition',
  'created_at',
  'updated_at',
  'updated_by',
] as const;

function toSegment(row: {
  id: number;
  name: string;
  description: string;
  definition: string;
  created_at: string;
  updated_at: string;
  updated_by: string;
}): StoredSegment {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    definition: decodeJsonAs(SegmentDefinition, row.definition, 'segment definition'),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** SQL of segments (its own table only). */
export function createSegmentStore() {
  return {
    async list(db: Db, projectId: number): Promise<StoredSegment[]> {
      const rows = await tables(db)
        .selectFrom('segments')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .orderBy('name')
        .execute();
      return rows.map(toSegment);
    },

    async find(db: Db, projectId: number, name: string): Promise<StoredSegment | undefined> {
      const row = await tables(db)
        .selectFrom('segments')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row ? toSegment(row) : undefined;
    },

    async findMany(db: Db, projectId: number, names: string[]): Promise<StoredSegment[]> {
      if (names.length === 0) return [];
      const rows = await tables(db)
        .selectFrom('segments')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .where('name', 'in', names)
        .execute();
      return rows.map(toSegment);
    },

    async insert(
      db: Db,
      projectId: number,
      segment: {
        name: string;
        description: string;
        definition: SegmentDefinition;
        at: string;
        actor: string;
      },
    ): Promise<StoredSegment> {
      const row = await tables(db)
        .insertInto('segments')
        .values({
          project_id: projectId,
          name: segment.name,
          description: segment.description,
          definition: encodeJson(segment.definition),
          created_at: segment.at,
          updated_at: segment.at,
          updated_by: segment.actor,
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toSegment(row);
    },

    async update(
      db: Db,
      id: number,
      segment: { description: string; definition: SegmentDefinition; at: string; actor: string },
    ): Promise<StoredSegment> {
      const row = await tables(db)
        .updateTable('segments')
        .set({
          description: segment.description,
          definition: encodeJson(segment.definition),
          updated_at: segment.at,
          updated_by: segment.actor,
        })
        .where('id', '=', id)
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toSegment(row);
    },

    async delete(db: Db, id: number): Promise<void> {
      await tables(db).deleteFrom('segments').where('id', '=', id).execute();
    },
  };
}

export type SegmentStore = ReturnType<typeof createSegmentStore>;
