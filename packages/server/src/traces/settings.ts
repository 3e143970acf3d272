/** Per-project trace settings (span retention): the rules and the small service that changes them. */
import type { TraceSettings } from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { createTraceSettingsStore } from './settings-store.ts';

/** Spans are kept this many days unless the project says otherwise. */
export const DEFAULT_SPAN_RETENTION_DAYS = 30;

const store = createTraceSettingsStore();

/** The project's span retention in days (the default when it never set one). */
export async function spanRetentionDays(db: Db, projectId: number): Promise<number> {
  return (await store.spanRetentionDays(db, projectId)) ?? DEFAULT_SPAN_RETENTION_DAYS;
}

/** Every project's retention: those that set one, and the default for the rest. */
export async function retentionByProject(
  db: Db,
): Promise<{ projects: Map<number, number>; fallback: number }> {
  return { projects: await store.allSpanRetentions(db), fallback: DEFAULT_SPAN_RETENTION_DAYS };
}

/** Reads and changes a project's trace settings; a change is audited. */
export function createTraceSettingsService({
  database,
  clock,
  audit,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
}) {
  return {
    async get(projectId: number): Promise<TraceSettings> {
      return { spanRetentionDays: await spanRetentionDays(database.db, projectId) };
    },

    async set(projectId: number, next: TraceSettings, actor: string): Promise<TraceSettings> {
      const at = isoNow(clock);
      await database.db.transaction().execute(async (trx) => {
        const before = await spanRetentionDays(trx, projectId);
        await store.setSpanRetentionDays(trx, projectId, next.spanRetentionDays, at);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'traces.settings.update',
          targetType: 'trace_settings',
          target: 'traces',
          data: { spanRetentionDays: { from: before, to: next.spanRetentionDays } },
        });
      });
      return next;
    },
  };
}

export type TraceSettingsService = ReturnType<typeof createTraceSettingsService>;
