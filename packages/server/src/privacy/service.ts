/**
 * Privacy: per-project PII redaction of what ingestion writes (the trace service asks
 * `redactorFor` before every batch), and erasure of an end user's data — their traces, scores
 * and the dataset items made from them — in one transaction, audited by id only.
 */
import {
  createRedactor,
  DEFAULT_REDACTION,
  type EndUserErasure,
  type RedactionSettings,
  type Redactor,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { createPrivacyStore } from './store.ts';

/** How long a redactor is reused before the settings are read again (other instances' changes). */
const CACHE_MS = 5_000;

export interface PrivacyServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  /** Erases the traces of an end user (the traces feature), in the given transaction. */
  eraseTraces: (
    trx: Db,
    projectId: number,
    userId: string,
  ) => Promise<{ traceIds: string[]; spans: number; scores: number }>;
  /** Erases the dataset items made from those traces (the datasets feature). */
  eraseItems: (trx: Db, projectId: number, traceIds: readonly string[]) => Promise<number>;
  /** Erases the annotation queue items of those traces (the annotation feature). */
  eraseReviews: (trx: Db, projectId: number, traceIds: readonly string[]) => Promise<number>;
}

export function createPrivacyService(options: PrivacyServiceOptions) {
  const { database, clock, audit } = options;
  const store = createPrivacyStore();
  const cache = new Map<number, { at: number; redactor: Redactor | null }>();

  async function settings(projectId: number): Promise<RedactionSettings> {
    return (await store.redaction(database.db, projectId)) ?? DEFAULT_REDACTION;
  }

  return {
    redaction: settings,

    async setRedaction(
      projectId: number,
      next: RedactionSettings,
      actor: string,
    ): Promise<RedactionSettings> {
      await database.db.transaction().execute(async (trx) => {
        await store.setRedaction(trx, projectId, next, isoNow(clock));
        await audit.append(trx, {
          projectId,
          actor,
          action: 'privacy.redaction.update',
          targetType: 'project',
          target: 'privacy',
          data: {
            after: {
              enabled: next.enabled,
              detectors: next.detectors,
              customPatterns: next.customPatterns.map((c) => c.name),
            },
          },
        });
      });
      cache.delete(projectId);
      return next;
    },

    /** The project's redactor (null: off), cached a few seconds. */
    async redactorFor(projectId: number): Promise<Redactor | null> {
      const now = clock.now().getTime();
      const hit = cache.get(projectId);
      if (hit && now - hit.at < CACHE_MS) return hit.redactor;
      const redactor = createRedactor(await settings(projectId));
      cache.set(projectId, { at: now, redactor });
      return redactor;
    },

    /** Removes everything of an end user: traces with a span of theirs, their scores, the items made from them. */
    async eraseEndUser(projectId: number, userId: string, actor: string): Promise<EndUserErasure> {
      return database.db.transaction().execute(async (trx) => {
        const traces = await options.eraseTraces(trx, projectId, userId);
        const datasetItems = await options.eraseItems(trx, projectId, traces.traceIds);
        const annotationItems = await options.eraseReviews(trx, projectId, traces.traceIds);
        const result = {
          userId,
          spans: traces.spans,
          traces: traces.traceIds.length,
          scores: traces.scores,
          datasetItems,
          annotationItems,
        };
        // Ids and counts only: nothing the user sent is written to the audit log.
        await audit.append(trx, {
          projectId,
          actor,
          action: 'end_user.erase',
          targetType: 'end_user',
          target: userId,
          data: {
            spans: result.spans,
            traces: result.traces,
            scores: result.scores,
            datasetItems,
            annotationItems,
          },
        });
        return result;
      });
    },
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
