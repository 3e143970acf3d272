import type { Generated, Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

// A type alias, not an interface: withTables() needs the implicit index signature.
export type SegmentTables = {
  segments: {
    id: Generated<number>;
    project_id: number;
    name: string;
    description: string;
    /** JSON SegmentDefinition: `{when?, units?}`. */
    definition: string;
    created_at: string;
    updated_at: string;
    updated_by: string;
  };
};

/** Reusable targeting segments, one name per project. */
export function segmentsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('segments'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('description', 'text', notNull)
        .addColumn('definition', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addColumn('updated_by', 'text', notNull)
        .addUniqueConstraint('segments_project_name_unique', ['project_id', 'name'])
        .execute();
    },
  };
}
