import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';

/** Provider credentials (secrets encrypted by the app, never in clear) and price overrides, per project. */
export function providerTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const table = db.schema.createTable('provider_credentials');
      await (dialect === 'postgres'
        ? table.addColumn('id', 'serial', (c) => c.primaryKey())
        : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        // AES-256-GCM token of {"apiKey","headers"}, bound to "<project>/<provider>".
        .addColumn('secret', 'text')
        .addColumn('key_hint', 'text')
        .addColumn('header_names', 'text', (c) => c.notNull())
        .addColumn('base_url', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('provider_credentials_project_provider_unique', ['project_id', 'provider'])
        .execute();

      await db.schema
        .createTable('price_overrides')
        .addColumn('project_id', 'integer', (c) => c.primaryKey().references('projects.id'))
        .addColumn('entries', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
