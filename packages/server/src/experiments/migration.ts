import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/** Experiments: the split deployed, the metrics measured, and how it ended. */
export function experimentTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('experiments'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt_id', 'integer', (c) => c.notNull().references('prompts.id'))
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id'))
        .addColumn('prompt', 'text', notNull)
        .addColumn('environment', 'text', notNull)
        .addColumn('variants', 'text', notNull)
        .addColumn('control', 'integer', notNull)
        .addColumn('metric', 'text', notNull)
        .addColumn('secondary', 'text', notNull)
        .addColumn('expected_units', 'integer', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('shipped', 'integer')
        // The history entries that started and (when it shipped) ended it.
        .addColumn('history_id', 'integer', notNull)
        .addColumn('shipped_history_id', 'integer')
        .addColumn('created_by', 'text', notNull)
        .addColumn('reason', 'text')
        .addColumn('started_at', 'text', notNull)
        .addColumn('stopped_at', 'text')
        .execute();
      await db.schema
        .createIndex('experiments_project')
        .on('experiments')
        .columns(['project_id', 'prompt_id', 'environment_id', 'status'])
        .execute();
    },
  };
}
