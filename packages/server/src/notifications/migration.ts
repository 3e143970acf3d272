import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/** In-app notifications of a project (alerts firing and resolving). */
export function notificationTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('notifications'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('kind', 'text', notNull)
        .addColumn('title', 'text', notNull)
        .addColumn('body', 'text', notNull)
        .addColumn('data', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('read_at', 'text')
        .execute();
      await db.schema
        .createIndex('notifications_project')
        .on('notifications')
        .columns(['project_id', 'id'])
        .execute();
    },
  };
}
