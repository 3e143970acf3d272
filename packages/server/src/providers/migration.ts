import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

/** Provider credentials (secrets encrypted by the app, never in clear) and price overrides, per project. */
export function providerTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('provider_credentials'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('provider', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        // AES-256-GCM token of {"apiKey","headers"}, bound to "<project>/<provider>".
        .addColumn('secret', 'text')
        .addColumn('key_hint', 'text')
        .addColumn('header_names', 'text', notNull)
        .addColumn('base_url', 'text')
        .addColumn('updated_at', 'text', notNull)
        .addColumn('updated_by', 'text', notNull)
        .addUniqueConstraint('provider_credentials_project_provider_unique', ['project_id', 'provider'])
        .execute();

      await db.schema
        .createTable('price_overrides')
        .addColumn('project_id', 'integer', (c) => c.primaryKey().references('projects.id'))
        .addColumn('entries', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addColumn('updated_by', 'text', notNull)
        .execute();
    },
  };
}
