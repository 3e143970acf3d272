import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/**
 * Online evaluation rules, their counters per UTC day, and the sampled spans waiting to be graded
 * (written in the transaction that writes the spans, removed in the one that writes their scores).
 */
export function onlineEvalTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('online_eval_rules'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('environment', 'text', notNull)
        .addColumn('version', 'integer')
        .addColumn('sampling_rate', 'double precision', notNull)
        .addColumn('assertions', 'text', notNull)
        .addColumn('judge', 'text')
        .addColumn('daily_budget_usd', 'double precision', notNull)
        .addColumn('enabled', 'integer', notNull)
        .addColumn('last_error', 'text')
        .addColumn('last_error_at', 'text')
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addUniqueConstraint('online_eval_rules_name_unique', ['project_id', 'prompt', 'name'])
        .execute();

      await db.schema
        .createTable('online_eval_days')
        .addColumn('rule_id', 'integer', (c) =>
          c.notNull().references('online_eval_rules.id').onDelete('cascade'),
        )
        .addColumn('project_id', 'integer', notNull)
        .addColumn('day', 'text', notNull)
        .addColumn('sampled', 'integer', notNull)
        .addColumn('evaluated', 'integer', notNull)
        .addColumn('errors', 'integer', notNull)
        .addColumn('failed', 'integer', notNull)
        .addColumn('skipped_budget', 'integer', notNull)
        .addColumn('cost_usd', 'double precision', notNull)
        .addPrimaryKeyConstraint('online_eval_days_pk', ['rule_id', 'day'])
        .execute();

      await withId(db.schema.createTable('online_eval_pending'), dialect)
        .addColumn('project_id', 'integer', notNull)
        .addColumn('rule_id', 'integer', (c) =>
          c.notNull().references('online_eval_rules.id').onDelete('cascade'),
        )
        .addColumn('trace_id', 'text', notNull)
        .addColumn('span_id', 'text', notNull)
        .addColumn('span_start_ms', 'bigint', notNull)
        .addColumn('sampled_at', 'text', notNull)
        // A span is sampled once per rule, whatever retries of its batch arrive.
        .addUniqueConstraint('online_eval_pending_span_unique', ['rule_id', 'trace_id', 'span_id'])
        .execute();
    },
  };
}
