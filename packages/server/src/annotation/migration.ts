import type { Generated, Kysely, Migration } from 'kysely';
import type { Db, Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

// Type aliases, not interfaces: withTables() needs the implicit index signature.
export type ScoreDefinitionsTable = {
  id: Generated<number>;
  project_id: number;
  name: string;
  description: string;
  data_type: string;
  min_value: number | null;
  max_value: number | null;
  /** JSON array of the categories (categorical), else `[]`. */
  categories: string;
  created_by: string;
  created_at: string;
  updated_at: string;
};

export type AnnotationQueuesTable = {
  id: Generated<number>;
  project_id: number;
  name: string;
  description: string;
  /** JSON array of score definition names (names travel with an export; ids would not). */
  score_names: string;
  /** JSON array of emails; `[]`: any reviewer. */
  assignees: string;
  /** JSON of the sampling rule, or null. */
  sampling: string | null;
  /** Traces that started before this instant were looked at by the sampling job. */
  sampled_until_ms: number | null;
  created_by: string;
  created_at: string;
  updated_at: string;
};

export type AnnotationItemsTable = {
  id: Generated<number>;
  project_id: number;
  queue_id: number;
  trace_id: string;
  span_id: string | null;
  /** pending | completed | skipped; a pending item with a live lease is "claimed". */
  status: string;
  /** The reviewer holding (pending) or who finished (completed, skipped) the item: user id and email. */
  reviewer_id: number | null;
  reviewer: string | null;
  lease_until_ms: number | null;
  /** JSON array of `{ name, value }` given on completion. */
  scores: string;
  comment: string | null;
  created_at: string;
  done_at: string | null;
};

export type AnnotationTables = {
  score_definitions: ScoreDefinitionsTable;
  annotation_queues: AnnotationQueuesTable;
  annotation_items: AnnotationItemsTable;
};

export const annotationDb = (db: Db) => db.withTables<AnnotationTables>();

/** Annotation queues' sampling rule and how far the sampling job has read. */
export function annotationSamplingMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('annotation_queues').addColumn('sampling', 'text').execute();
      await db.schema.alterTable('annotation_queues').addColumn('sampled_until_ms', 'bigint').execute();
    },
  };
}

/** Score definitions, annotation queues and their items. */
export function annotationMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('score_definitions'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('description', 'text', notNull)
        .addColumn('data_type', 'text', notNull)
        .addColumn('min_value', 'double precision')
        .addColumn('max_value', 'double precision')
        .addColumn('categories', 'text', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addUniqueConstraint('score_definitions_project_name_unique', ['project_id', 'name'])
        .execute();

      await withId(db.schema.createTable('annotation_queues'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('description', 'text', notNull)
        .addColumn('score_names', 'text', notNull)
        .addColumn('assignees', 'text', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addUniqueConstraint('annotation_queues_project_name_unique', ['project_id', 'name'])
        .execute();

      await withId(db.schema.createTable('annotation_items'), dialect)
        .addColumn('project_id', 'integer', notNull)
        .addColumn('queue_id', 'integer', (c) =>
          c.notNull().references('annotation_queues.id').onDelete('cascade'),
        )
        .addColumn('trace_id', 'text', notNull)
        .addColumn('span_id', 'text')
        .addColumn('status', 'text', notNull)
        .addColumn('reviewer_id', 'integer')
        .addColumn('reviewer', 'text')
        .addColumn('lease_until_ms', 'bigint')
        .addColumn('scores', 'text', notNull)
        .addColumn('comment', 'text')
        .addColumn('created_at', 'text', notNull)
        .addColumn('done_at', 'text')
        // A trace is queued once per queue: adding it again is a no-op, not a second review.
        .addUniqueConstraint('annotation_items_queue_trace_unique', ['queue_id', 'trace_id'])
        .execute();
      // `next` reads the oldest open item of a queue; progress counts by status.
      await db.schema
        .createIndex('annotation_items_queue_status')
        .on('annotation_items')
        .columns(['queue_id', 'status', 'id'])
        .execute();
    },
  };
}
