import {
  AppError,
  type PutSegmentRequest,
  type Segment,
  type SegmentDefinition,
  segmentsOf,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { EnvironmentStore } from '../environments/store.ts';
import type { ChangeFeed } from '../live/change-feed.ts';
import { createSegmentStore, type StoredSegment } from './store.ts';

function toSegment(s: StoredSegment): Segment {
  return {
    name: s.name,
    description: s.description,
    when: s.definition.when ?? null,
    units: s.definition.units ?? [],
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    updatedBy: s.updatedBy,
  };
}

function segmentNotFound(name: string): AppError {
  return new AppError('SEGMENT_NOT_FOUND', `No segment named "${name}".`, {
    details: { segment: name },
    hint: 'List segments with GET /api/v1/segments or `promptline segments list`.',
  });
}

/**
 * Segments: named, reusable conditions (and unit lists) a release's targeting rules refer to with
 * `{segment: name}`. A change reaches every environment's snapshot at once (the change feed is told
 * the whole environment changed), since any release there may name the segment.
 */
export function createSegmentService({
  database,
  clock,
  audit,
  changeFeed,
  environments,
  usingSegment,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  changeFeed: ChangeFeed;
  environments: EnvironmentStore;
  /** The live releases that name a segment (`prompt@env`), from the deployments feature. */
  usingSegment: (db: Db, projectId: number, name: string) => Promise<string[]>;
}) {
  const store = createSegmentStore();

  async function publishAll(projectId: number): Promise<void> {
    for (const env of await environments.list(database.db, projectId)) {
      changeFeed.publish({ projectId: String(projectId), environment: env.name, prompt: '*' });
    }
  }

  return {
    async list(projectId: number): Promise<Segment[]> {
      return (await store.list(database.db, projectId)).map(toSegment);
    },

    /** @throws AppError SEGMENT_NOT_FOUND */
    async get(projectId: number, name: string): Promise<Segment> {
      const found = await store.find(database.db, projectId, name);
      if (!found) throw segmentNotFound(name);
      return toSegment(found);
    },

    /**
     * Creates or replaces a segment; audited. Releases that name it serve by the new definition at
     * once. A segment cannot name another segment.
     *
     * @throws AppError VALIDATION_FAILED when its `when` refers to a segment.
     */
    async put(
      projectId: number,
      name: string,
      request: PutSegmentRequest,
      actor: string,
    ): Promise<{ segment: Segment; created: boolean }> {
      if (segmentsOf({ rules: request.when ? [{ when: request.when, version: 1 }] : [] }).length > 0) {
        throw new AppError('VALIDATION_FAILED', `Segment "${name}" cannot refer to another segment.`, {
          errors: [
            { path: 'when', message: 'a segment cannot refer to a segment; copy its conditions instead' },
          ],
        });
      }
      const definition: SegmentDefinition = {
        ...(request.when === undefined ? {} : { when: request.when }),
        ...(request.units === undefined ? {} : { units: [...new Set(request.units)] }),
      };
      const result = await database.db.transaction().execute(async (trx) => {
        const at = isoNow(clock);
        const existing = await store.find(trx, projectId, name);
        const saved = existing
          ? await store.update(trx, existing.id, {
              description: request.description ?? existing.description,
              definition,
              at,
              actor,
            })
          : await store.insert(trx, projectId, {
              name,
              description: request.description ?? '',
              definition,
              at,
              actor,
            });
        await audit.append(trx, {
          projectId,
          actor,
          action: existing ? 'segment.update' : 'segment.create',
          targetType: 'segment',
          target: name,
          data: { before: existing?.definition ?? null, after: definition },
        });
        return { segment: toSegment(saved), created: !existing };
      });
      await publishAll(projectId);
      return result;
    },

    /** @throws AppError SEGMENT_NOT_FOUND, SEGMENT_IN_USE (a live release's rules name it) */
    async delete(projectId: number, name: string, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const existing = await store.find(trx, projectId, name);
        if (!existing) throw segmentNotFound(name);
        const users = await usingSegment(trx, projectId, name);
        if (users.length > 0) {
          throw new AppError(
            'SEGMENT_IN_USE',
            `Segment "${name}" is used by the live targeting of ${users.join(', ')}.`,
            {
              details: { segment: name, usedBy: users },
              hint: 'Deploy those releases without the rules that name it first.',
            },
          );
        }
        await store.delete(trx, existing.id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'segment.delete',
          targetType: 'segment',
          target: name,
          data: { before: existing.definition },
        });
      });
      await publishAll(projectId);
    },

    /** Which of these names the project has no segment for (deploys refuse targeting naming them). */
    async missing(db: Db, projectId: number, names: string[]): Promise<string[]> {
      const found = new Set((await store.findMany(db, projectId, names)).map((s) => s.name));
      return names.filter((n) => !found.has(n));
    },

    /** The definitions of these segments, by name (what a snapshot carries). */
    async definitions(projectId: number, names: string[]): Promise<Record<string, SegmentDefinition>> {
      const out: Record<string, SegmentDefinition> = {};
      for (const s of await store.findMany(database.db, projectId, names)) out[s.name] = s.definition;
      return out;
    },
  };
}

export type SegmentService = ReturnType<typeof createSegmentService>;
