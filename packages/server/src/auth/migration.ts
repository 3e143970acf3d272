import type { Kysely, Migration } from 'kysely';

/**
 * Scoped keys: `api_keys.environments` (JSON array, null: every environment), `prompt_prefix`
 * (`support/*`, null: every prompt), `read_only` (an application key), `expires_at` (null: never)
 * and `rotated_from` (the key a rotation replaced). Existing keys keep working unchanged.
 */
export function apiKeyScopesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('api_keys').addColumn('environments', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('prompt_prefix', 'text').execute();
      await db.schema
        .alterTable('api_keys')
        .addColumn('read_only', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('api_keys').addColumn('expires_at', 'text').execute();
      await db.schema.alterTable('api_keys').addColumn('rotated_from', 'integer').execute();
    },
  };
}
