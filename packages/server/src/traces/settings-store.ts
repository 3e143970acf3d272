/** The SQL of per-project trace settings. */
import { toNumber } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
import { traceDb } from './migration.ts';

export function createTraceSettingsStore() {
  return {
    /** The project's span retention in days, or undefined when it never set one. */
    async spanRetentionDays(db: Db, projectId: number): Promise<number | undefined> {
      const row = await traceDb(db)
        .selectFrom('trace_settings')
        .select('span_retention_days')
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return row ? toNumber(row.span_retention_days) : undefined;
    },

    /** Every project that set a retention, with it. */
    async allSpanRetentions(db: Db): Promise<Map<number, number>> {
      const rows = await traceDb(db)
        .selectFrom('trace_settings')
        .select(['project_id', 'span_retention_days'])
        .execute();
      return new Map(rows.map((r) => [toNumber(r.project_id), toNumber(r.span_retention_days)]));
    },

    async setSpanRetentionDays(db: Db, projectId: number, days: number, at: string): Promise<void> {
      await traceDb(db)
        .insertInto('trace_settings')
        .values({ project_id: projectId, span_retention_days: days, updated_at: at })
        .onConflict((oc) =>
          oc.column('project_id').doUpdateSet({ span_retention_days: days, updated_at: at }),
        )
        .execute();
    },
  };
}
