import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/**
 * Guarded rollouts: one row per rollout (its plan, where it stands, the last guardrail verdicts)
 * and its events (start, each step, pause, resume, regression, end), newest last.
 */
export function rolloutTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('rollouts'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt_id', 'integer', (c) => c.notNull().references('prompts.id'))
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id'))
        // Names as at the start, for lists (an environment can be renamed).
        .addColumn('prompt', 'text', notNull)
        .addColumn('environment', 'text', notNull)
        .addColumn('candidate', 'integer', notNull)
        .addColumn('control', 'integer', notNull)
        // The history entry that was live before: an automatic rollback restores it.
        .addColumn('control_history_id', 'integer', notNull)
        // The entry the rollout itself made last: a live entry other than this one means someone
        // else deployed, rolled back or switched off, which aborts the rollout.
        .addColumn('last_history_id', 'integer', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('steps', 'text', notNull)
        .addColumn('guardrails', 'text', notNull)
        .addColumn('min_samples', 'integer', notNull)
        .addColumn('on_regression', 'text', notNull)
        .addColumn('step', 'integer', notNull)
        .addColumn('step_started_at', 'text', notNull)
        .addColumn('verdicts', 'text', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_by_role', 'text')
        .addColumn('reason', 'text')
        .addColumn('started_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addColumn('last_check_at', 'text')
        .execute();
      await db.schema.createIndex('rollouts_status').on('rollouts').columns(['status', 'id']).execute();
      await db.schema
        .createIndex('rollouts_project_prompt')
        .on('rollouts')
        .columns(['project_id', 'prompt_id', 'environment_id', 'status'])
        .execute();

      await withId(db.schema.createTable('rollout_events'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('rollout_id', 'integer', (c) => c.notNull().references('rollouts.id'))
        .addColumn('at', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('step', 'integer', notNull)
        .addColumn('actor', 'text', notNull)
        .addColumn('message', 'text', notNull)
        .addColumn('history_id', 'integer')
        .execute();
      await db.schema
        .createIndex('rollout_events_rollout')
        .on('rollout_events')
        .columns(['rollout_id', 'id'])
        .execute();
    },
  };
}
