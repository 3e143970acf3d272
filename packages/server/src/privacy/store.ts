/** The SQL of privacy settings. */
import { RedactionSettings } from '@promptline/core';
import { sql } from 'kysely';
import { decodeJsonAs, encodeJson } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';

interface PrivacySettingsTable {
  project_id: number;
  redaction: string;
  updated_at: string;
}

const own = (db: Db) => db.withTables<{ privacy_settings: PrivacySettingsTable }>();

export function createPrivacyStore() {
  return {
    async redaction(db: Db, projectId: number): Promise<RedactionSettings | undefined> {
      const row = await own(db)
        .selectFrom('privacy_settings')
        .select('redaction')
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return row ? decodeJsonAs(RedactionSettings, row.redaction, 'privacy_settings.redaction') : undefined;
    },

    async setRedaction(db: Db, projectId: number, settings: RedactionSettings, at: string): Promise<void> {
      await sql`insert into privacy_settings (project_id, redaction, updated_at) values (${projectId}, ${encodeJson(settings)}, ${at})
        on conflict (project_id) do update set redaction = excluded.redaction, updated_at = excluded.updated_at`.execute(
        db,
      );
    },
  };
}
