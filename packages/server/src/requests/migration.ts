import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/**
 * Environment policies and deployment requests: the policy column of environments (`{}` requires
 * nothing, so upgraded installs deploy as before), the request and decision tables, and the two
 * columns that record on a history entry which request made it and who approved it.
 */
export function policiesAndRequestsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('environments')
        .addColumn('policy', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema.alterTable('deployment_history').addColumn('request_id', 'integer').execute();
      await db.schema.alterTable('deployment_history').addColumn('approved_by', 'text').execute();

      await withId(db.schema.createTable('deployment_requests'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt_id', 'integer', (c) => c.notNull().references('prompts.id'))
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id'))
        // Names as at the request, for lists and for finding them again (an environment can be renamed).
        .addColumn('prompt', 'text', notNull)
        .addColumn('environment', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('variants', 'text', notNull)
        .addColumn('enabled', 'integer', notNull)
        .addColumn('force', 'integer', notNull)
        .addColumn('reason', 'text', notNull)
        .addColumn('author', 'text', notNull)
        .addColumn('author_voter', 'text', notNull)
        .addColumn('author_id', 'integer')
        .addColumn('required_approvals', 'integer', notNull)
        .addColumn('base_history_id', 'integer')
        .addColumn('head_version', 'integer')
        .addColumn('history_id', 'integer')
        .addColumn('stale_reason', 'text')
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .execute();
      await db.schema
        .createIndex('deployment_requests_project_status')
        .on('deployment_requests')
        .columns(['project_id', 'status', 'id'])
        .execute();

      await withId(db.schema.createTable('deployment_request_decisions'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('request_id', 'integer', (c) => c.notNull().references('deployment_requests.id'))
        // `user:<id>` (or `key:<id>` for a caller without a user): one decision per person per request.
        .addColumn('voter', 'text', notNull)
        .addColumn('user_id', 'integer')
        .addColumn('user_name', 'text', notNull)
        .addColumn('decision', 'text', notNull)
        .addColumn('comment', 'text')
        .addColumn('at', 'text', notNull)
        .addUniqueConstraint('deployment_request_decisions_once', ['request_id', 'voter'])
        .execute();
    },
  };
}
