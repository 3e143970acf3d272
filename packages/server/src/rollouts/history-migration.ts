import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/**
 * Guardrail history: one row per guardrail per recorded check of a rollout (its interval, the
 * samples per arm, the verdict). Not every check is recorded: see history.ts for the thinning rule.
 */
export function rolloutChecksMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('rollout_checks'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('rollout_id', 'integer', (c) => c.notNull().references('rollouts.id'))
        .addColumn('at', 'text', notNull)
        .addColumn('step', 'integer', notNull)
        .addColumn('metric', 'text', notNull)
        .addColumn('verdict', 'text', notNull)
        .addColumn('control', 'double precision')
        .addColumn('candidate', 'double precision')
        .addColumn('low', 'double precision')
        .addColumn('high', 'double precision')
        .addColumn('threshold', 'double precision')
        .addColumn('n_control', 'integer', notNull)
        .addColumn('n_candidate', 'integer', notNull)
        .execute();
      // The check reads the last point of each guardrail; the page reads them all in order.
      await db.schema
        .createIndex('rollout_checks_rollout')
        .on('rollout_checks')
        .columns(['rollout_id', 'metric', 'id'])
        .execute();
    },
  };
}
