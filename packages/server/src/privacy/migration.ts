import type { Kysely, Migration } from 'kysely';
import { notNull } from '../db/ddl.ts';

/** Per-project PII redaction settings (JSON); no row: redaction off. */
export function privacySettingsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('privacy_settings')
        .addColumn('project_id', 'integer', (c) => c.primaryKey().references('projects.id'))
        .addColumn('redaction', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .execute();
    },
  };
}
