import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/** Alert rules (with their current state) and every state transition. */
export function alertTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('alert_rules'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('prompt', 'text')
        .addColumn('version', 'integer')
        .addColumn('environment', 'text')
        .addColumn('metric', 'text', notNull)
        .addColumn('score', 'text')
        .addColumn('window_minutes', 'integer', notNull)
        .addColumn('condition', 'text', notNull)
        .addColumn('min_samples', 'integer', notNull)
        .addColumn('enabled', 'integer', notNull)
        .addColumn('state', 'text', notNull)
        .addColumn('state_since', 'text', notNull)
        .addColumn('last_value', 'double precision')
        .addColumn('last_evaluated_at', 'text')
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .execute();
      // The evaluation job reads every enabled rule.
      await db.schema
        .createIndex('alert_rules_enabled')
        .on('alert_rules')
        .columns(['enabled', 'id'])
        .execute();

      await withId(db.schema.createTable('alert_transitions'), dialect)
        .addColumn('project_id', 'integer', notNull)
        .addColumn('rule_id', 'integer', (c) => c.notNull().references('alert_rules.id').onDelete('cascade'))
        .addColumn('from_state', 'text', notNull)
        .addColumn('to_state', 'text', notNull)
        .addColumn('value', 'double precision')
        .addColumn('baseline', 'double precision')
        .addColumn('samples', 'integer', notNull)
        .addColumn('at', 'text', notNull)
        .execute();
      await db.schema
        .createIndex('alert_transitions_rule')
        .on('alert_transitions')
        .columns(['rule_id', 'id'])
        .execute();
    },
  };
}
