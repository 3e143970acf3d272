import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/**
 * Webhook subscriptions, their deliveries and each delivery's attempts. The URL and signing
 * secret of a subscription are one encrypted column (`target`, bound to the row's project and
 * id); `url_hint` is what lists show.
 */
export function webhookTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('webhooks'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('url_hint', 'text', notNull)
        .addColumn('target', 'text', notNull)
        // JSON array of event types.
        .addColumn('events', 'text', notNull)
        .addColumn('enabled', 'integer', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .execute();
      await db.schema.createIndex('webhooks_project').on('webhooks').columns(['project_id', 'id']).execute();

      await withId(db.schema.createTable('webhook_deliveries'), dialect)
        .addColumn('project_id', 'integer', notNull)
        // No foreign key: a subscription's log outlives it until retention removes it.
        .addColumn('webhook_id', 'integer', notNull)
        .addColumn('event_id', 'text', notNull)
        .addColumn('event_type', 'text', notNull)
        .addColumn('body', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('attempts', 'integer', notNull)
        .addColumn('response_status', 'integer')
        .addColumn('error', 'text')
        .addColumn('redelivery_of', 'integer')
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addColumn('delivered_at', 'text')
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_webhook')
        .on('webhook_deliveries')
        .columns(['webhook_id', 'id'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_created')
        .on('webhook_deliveries')
        .columns(['created_at'])
        .execute();

      await withId(db.schema.createTable('webhook_attempts'), dialect)
        .addColumn('delivery_id', 'integer', notNull)
        .addColumn('attempt', 'integer', notNull)
        .addColumn('at', 'text', notNull)
        .addColumn('response_status', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'double precision', notNull)
        .execute();
      await db.schema
        .createIndex('webhook_attempts_delivery')
        .on('webhook_attempts')
        .columns(['delivery_id', 'id'])
        .execute();
    },
  };
}
