/**
 * Annotation queues: traces put in front of reviewers (by id or by a traces-list filter), claimed
 * one at a time under a lease so two reviewers never hold the same item, then completed with
 * scores (`source: human`, written through the trace service so they count in metrics like any
 * score) or skipped. Score names and values are checked against the queue's score definitions.
 * Queue changes are audited; reviews are recorded as the scores themselves.
 * Just over 500 lines: queue management, the claim/complete cycle and the sampling pass share the
 * queue's checks; score definitions already live in their own files (definitions.ts).
 */
import {
  type AddAnnotationItemsRequest,
  type AddAnnotationItemsResult,
  type AnnotationItem,
  type AnnotationItemPage,
  type AnnotationItemToDatasetRequest,
  type AnnotationQueue,
  type AnnotationQueueDetail,
  AppError,
  type CompleteAnnotationItemRequest,
  type CreateAnnotationQueueRequest,
  type ListAnnotationItemsQuery,
  type NextAnnotationItem,
  type Redactor,
  sampledTrace,
  type TracesToDatasetResult,
  type UpdateAnnotationQueueRequest,
} from '@promptline/core';
import { z } from 'zod';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { TracesToDataset } from '../datasets/from-traces.ts';
import { type Database, type Db, onUniqueViolation } from '../db/database.ts';
import type { JobService } from '../jobs/service.ts';
import type { TraceService } from '../traces/service.ts';
import type { ScoreDefinitionService } from './definitions.ts';
import { createQueueStore, type StoredItem, type StoredQueue } from './queue-store.ts';

/** How long a claim holds by default: long enough to read a trace, short enough that a closed tab frees its item soon. */
export const DEFAULT_LEASE_SECONDS = 600;
/** Traces read per page when a filter fills a queue. */
const FILTER_PAGE = 200;
export const SAMPLE_JOB = { kind: 'annotation.sample', everySeconds: 30 };
/** Each pass looks this far back again: a trace whose first span arrives late is still sampled (once: items are unique). */
const SAMPLE_LOOKBACK_MS = 10 * 60_000;
/** Most traces of one queue a pass reads (the rest wait for the next pass). */
const SAMPLE_MAX_READ = 5_000;

export interface Reviewer {
  id: number;
  email: string;
}

function publicItem(item: StoredItem): AnnotationItem {
  const { projectId: _p, reviewerId: _r, ...rest } = item;
  return rest;
}

function queueNotFound(id: number): AppError {
  return new AppError('ANNOTATION_QUEUE_NOT_FOUND', `No annotation queue ${id} in this project.`, {
    hint: 'List them with GET /api/v1/annotation-queues.',
  });
}

function queueExists(name: string): AppError {
  return new AppError(
    'ANNOTATION_QUEUE_EXISTS',
    `An annotation queue named "${name}" exists already. Pick another name, or add items to that one.`,
  );
}

export interface AnnotationServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  definitions: Pick<ScoreDefinitionService, 'byNames'>;
  traces: Pick<TraceService, 'list' | 'existing' | 'scoreWriter'>;
  fromTraces: Pick<TracesToDataset, 'add'>;
  /** The project's PII redactor (null: off): a reviewer's comment is redacted like a score's. */
  redactor?: ((projectId: number) => Promise<Redactor | null>) | undefined;
  leaseSeconds?: number | undefined;
  /** The job runner: sampling rules run as a recurring job. */
  jobs: Pick<JobService, 'register' | 'every'>;
  /** Seconds between sampling passes (default 30). */
  sampleEverySeconds?: number | undefined;
}

export function createAnnotationService(options: AnnotationServiceOptions) {
  const { database, clock, audit, definitions, traces, fromTraces } = options;
  const leaseMs = (options.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
  const store = createQueueStore();
  const nowMs = () => clock.now().getTime();

  /**
   * One sampling pass: for each queue with a rule, the traces of its prompt (and environment) that
   * started since the last pass (and a lookback), the sampled ones added. Answers how many were added.
   */
  async function sampleAll(write: <T>(fn: (trx: Db) => Promise<T>) => Promise<T>): Promise<number> {
    let total = 0;
    for (const { queue, untilMs } of await store.sampling(database.db)) {
      const rule = queue.sampling;
      if (!rule) continue;
      const toMs = nowMs();
      const picks: { traceId: string }[] = [];
      let cursor: string | undefined;
      let read = 0;
      // Newest first: a pass that stops at the cap leaves the oldest for the lookback of the next.
      while (read < SAMPLE_MAX_READ) {
        const page = await traces.list(queue.projectId, {
          prompt: rule.prompt,
          ...(rule.env ? { env: rule.env } : {}),
          from: new Date(Math.max(0, untilMs - SAMPLE_LOOKBACK_MS)).toISOString(),
          to: new Date(toMs).toISOString(),
          limit: FILTER_PAGE,
          ...(cursor ? { cursor } : {}),
        });
        read += page.items.length;
        for (const t of page.items)
          if (sampledTrace(t.traceId, rule.rate)) picks.push({ traceId: t.traceId });
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      total += await write(async (trx) => {
        const added = await store.insertItems(
          trx,
          queue.projectId,
          queue.id,
          picks,
          new Date(toMs).toISOString(),
        );
        await store.sampledUntil(trx, queue.id, untilMs, toMs);
        return added;
      });
    }
    return total;
  }

  options.jobs.register({
    kind: SAMPLE_JOB.kind,
    payload: z.object({}),
    maxAttempts: 3,
    async run(_payload, ctx) {
      await sampleAll((fn) => ctx.fenced(fn));
    },
  });
  options.jobs.every(SAMPLE_JOB.kind, options.sampleEverySeconds ?? SAMPLE_JOB.everySeconds);

  async function requireQueue(db: Db, projectId: number, id: number): Promise<StoredQueue> {
    const queue = await store.findQueue(db, projectId, id);
    if (!queue) throw queueNotFound(id);
    return queue;
  }

  async function withProgress(db: Db, queue: StoredQueue): Promise<AnnotationQueue> {
    const progress = (await store.progress(db, [queue.id], nowMs())).get(queue.id);
    const { projectId: _p, ...rest } = queue;
    return { ...rest, progress: progress ?? { total: 0, pending: 0, claimed: 0, completed: 0, skipped: 0 } };
  }

  function requireAssignee(queue: StoredQueue, reviewer: Reviewer): void {
    if (queue.assignees.length === 0) return;
    const email = reviewer.email.toLowerCase();
    if (queue.assignees.some((a) => a.toLowerCase() === email)) return;
    throw new AppError(
      'ANNOTATION_NOT_ASSIGNED',
      `Annotation queue "${queue.name}" is assigned to ${queue.assignees.join(', ')}; ${reviewer.email} is not one of them. An editor can add you (PATCH /api/v1/annotation-queues/${queue.id}).`,
    );
  }

  async function requireItem(db: Db, queue: StoredQueue, itemId: number): Promise<StoredItem> {
    const item = await store.findItem(db, queue.id, itemId, nowMs());
    if (!item) {
      throw new AppError(
        'ANNOTATION_ITEM_NOT_FOUND',
        `Annotation queue ${queue.id} has no item ${itemId}. List its items with GET /api/v1/annotation-queues/${queue.id}/items.`,
      );
    }
    return item;
  }

  function unavailable(item: StoredItem): AppError {
    const why =
      item.status === 'completed' || item.status === 'skipped'
        ? `was ${item.status} already by ${item.reviewer ?? 'someone'}`
        : `is held by ${item.reviewer ?? 'another reviewer'} until ${item.leaseUntil}`;
    return new AppError(
      'ANNOTATION_ITEM_UNAVAILABLE',
      `Item ${item.id} ${why}. Take the next one with GET /api/v1/annotation-queues/${item.queueId}/next.`,
    );
  }

  return {
    async list(projectId: number): Promise<AnnotationQueue[]> {
      const queues = await store.listQueues(database.db, projectId);
      const progress = await store.progress(
        database.db,
        queues.map((q) => q.id),
        nowMs(),
      );
      return queues.map(({ projectId: _p, ...q }) => ({
        ...q,
        progress: progress.get(q.id) ?? { total: 0, pending: 0, claimed: 0, completed: 0, skipped: 0 },
      }));
    },

    /** @throws AppError ANNOTATION_QUEUE_NOT_FOUND */
    async get(projectId: number, id: number): Promise<AnnotationQueueDetail> {
      const queue = await requireQueue(database.db, projectId, id);
      const defined = await definitions.byNames(database.db, projectId, queue.scoreDefinitions);
      return { ...(await withProgress(database.db, queue)), definitions: defined };
    },

    /** @throws AppError ANNOTATION_QUEUE_EXISTS, SCORE_DEFINITION_NOT_FOUND */
    async create(
      projectId: number,
      request: CreateAnnotationQueueRequest,
      actor: string,
    ): Promise<AnnotationQueue> {
      const at = isoNow(clock);
      return database.db.transaction().execute(async (trx) => {
        await definitions.byNames(trx, projectId, request.scoreDefinitions);
        const queue = await onUniqueViolation(
          () =>
            store.insertQueue(trx, {
              projectId,
              name: request.name,
              description: request.description,
              scoreDefinitions: [...new Set(request.scoreDefinitions)],
              assignees: request.assignees,
              sampling: request.sampling,
              createdBy: actor,
              createdAt: at,
              updatedAt: at,
            }),
          () => queueExists(request.name),
        );
        await audit.append(trx, {
          projectId,
          actor,
          action: 'annotation_queue.create',
          targetType: 'annotation_queue',
          target: String(queue.id),
          data: { after: { ...request } },
        });
        return withProgress(trx, queue);
      });
    },

    /** @throws AppError ANNOTATION_QUEUE_NOT_FOUND, ANNOTATION_QUEUE_EXISTS, SCORE_DEFINITION_NOT_FOUND */
    async update(
      projectId: number,
      id: number,
      request: UpdateAnnotationQueueRequest,
      actor: string,
    ): Promise<AnnotationQueue> {
      return database.db.transaction().execute(async (trx) => {
        const queue = await requireQueue(trx, projectId, id);
        if (request.scoreDefinitions) await definitions.byNames(trx, projectId, request.scoreDefinitions);
        const name = request.name ?? queue.name;
        const updated = await onUniqueViolation(
          () =>
            store.updateQueue(trx, id, {
              name,
              description: request.description ?? queue.description,
              scoreDefinitions: request.scoreDefinitions
                ? [...new Set(request.scoreDefinitions)]
                : queue.scoreDefinitions,
              assignees: request.assignees ?? queue.assignees,
              ...(request.sampling === undefined ? {} : { sampling: request.sampling }),
              updatedAt: isoNow(clock),
            }),
          () => queueExists(name),
        );
        await audit.append(trx, {
          projectId,
          actor,
          action: 'annotation_queue.update',
          targetType: 'annotation_queue',
          target: String(id),
          data: { after: { ...request } },
        });
        return withProgress(trx, updated);
      });
    },

    /** Deletes a queue with its items (scores already given stay on their traces). @throws AppError ANNOTATION_QUEUE_NOT_FOUND */
    async remove(projectId: number, id: number, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const queue = await requireQueue(trx, projectId, id);
        const items = await store.removeQueue(trx, id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'annotation_queue.delete',
          targetType: 'annotation_queue',
          target: String(id),
          data: { before: { name: queue.name, items } },
        });
      });
    },

    /**
     * Adds traces by id (those the project does not have are answered in `missing`) or every trace
     * a traces-list filter matches, newest first, up to `limit`. A trace already queued stays as it is.
     *
     * @throws AppError ANNOTATION_QUEUE_NOT_FOUND
     */
    async addItems(
      projectId: number,
      id: number,
      request: AddAnnotationItemsRequest,
      actor: string,
    ): Promise<AddAnnotationItemsResult> {
      await requireQueue(database.db, projectId, id);
      let picks: { traceId: string; spanId?: string | undefined }[] = [];
      let missing: string[] = [];
      if (request.traces) {
        const unique = [...new Map(request.traces.map((t) => [t.traceId, t])).values()];
        const found = await traces.existing(
          projectId,
          unique.map((t) => t.traceId),
        );
        picks = unique.filter((t) => found.has(t.traceId));
        missing = unique.filter((t) => !found.has(t.traceId)).map((t) => t.traceId);
      } else if (request.filter) {
        let cursor: string | undefined;
        while (picks.length < request.limit) {
          const page = await traces.list(projectId, {
            ...request.filter,
            limit: Math.min(FILTER_PAGE, request.limit - picks.length),
            ...(cursor ? { cursor } : {}),
          });
          picks.push(...page.items.map((t) => ({ traceId: t.traceId })));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
      }
      return database.db.transaction().execute(async (trx) => {
        // Read again inside the transaction: a queue deleted meanwhile takes no items.
        await requireQueue(trx, projectId, id);
        const added = await store.insertItems(trx, projectId, id, picks, isoNow(clock));
        if (added > 0) {
          await audit.append(trx, {
            projectId,
            actor,
            action: 'annotation_queue.add_items',
            targetType: 'annotation_queue',
            target: String(id),
            data: { added, by: request.filter ? 'filter' : 'ids' },
          });
        }
        const progress = (await store.progress(trx, [id], nowMs())).get(id);
        return {
          added,
          alreadyQueued: picks.length - added,
          missing,
          progress: progress ?? { total: 0, pending: 0, claimed: 0, completed: 0, skipped: 0 },
        };
      });
    },

    /** @throws AppError ANNOTATION_QUEUE_NOT_FOUND */
    async items(projectId: number, id: number, query: ListAnnotationItemsQuery): Promise<AnnotationItemPage> {
      await requireQueue(database.db, projectId, id);
      const rows = await store.listItems(database.db, id, query, nowMs());
      const last = rows.at(-1);
      return { items: rows.map(publicItem), next: rows.length === query.limit && last ? last.id : null };
    },

    /**
     * Claims the next item for a reviewer: the one they already hold (its lease renewed), else the
     * oldest item nobody holds. Null when nothing is left.
     *
     * @throws AppError ANNOTATION_QUEUE_NOT_FOUND, ANNOTATION_NOT_ASSIGNED
     */
    async next(projectId: number, id: number, reviewer: Reviewer): Promise<NextAnnotationItem> {
      const queue = await requireQueue(database.db, projectId, id);
      requireAssignee(queue, reviewer);
      return database.db.transaction().execute(async (trx) => {
        const now = nowMs();
        let item = await store.heldBy(trx, id, reviewer.id, now);
        if (item) item = await store.claim(trx, item.id, reviewer, now, now + leaseMs);
        // Another reviewer may take the candidate between the read and the claim: then try the next.
        for (let attempt = 0; !item && attempt < 20; attempt++) {
          const candidate = await store.firstOpen(trx, id, now);
          if (candidate === undefined) break;
          item = await store.claim(trx, candidate, reviewer, now, now + leaseMs);
        }
        const progress = (await store.progress(trx, [id], now)).get(id);
        return {
          item: item ? publicItem(item) : null,
          progress: progress ?? { total: 0, pending: 0, claimed: 0, completed: 0, skipped: 0 },
        };
      });
    },

    /**
     * Completes an item: its scores (each a name of the queue's definitions, its value checked) are
     * written to the trace with `source: human` and the item closed, in one transaction.
     *
     * @throws AppError ANNOTATION_ITEM_NOT_FOUND, ANNOTATION_ITEM_UNAVAILABLE, VALIDATION_FAILED, SCORE_VALUE_INVALID
     */
    async complete(
      projectId: number,
      id: number,
      itemId: number,
      request: CompleteAnnotationItemRequest,
      reviewer: Reviewer,
    ): Promise<AnnotationItem> {
      const queue = await requireQueue(database.db, projectId, id);
      requireAssignee(queue, reviewer);
      const foreign = request.scores.filter((s) => !queue.scoreDefinitions.includes(s.name));
      if (foreign.length > 0) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Queue "${queue.name}" asks for ${queue.scoreDefinitions.join(', ')}; ${foreign.map((s) => s.name).join(', ')} is not one of them.`,
          {
            errors: foreign.map((s) => ({
              path: `scores.${request.scores.indexOf(s)}.name`,
              message: 'is not a score of this queue',
            })),
          },
        );
      }
      // Read before the transaction: on SQLite a read beside an open transaction waits for it.
      const writeScore = await traces.scoreWriter(projectId);
      const redact = await options.redactor?.(projectId);
      return database.db.transaction().execute(async (trx) => {
        const item = await requireItem(trx, queue, itemId);
        const now = nowMs();
        const given = request.comment === undefined || request.comment === '' ? null : request.comment;
        const comment = given !== null && redact ? redact.text(given) : given;
        const done = await store.finish(trx, itemId, reviewer, now, {
          status: 'completed',
          scores: request.scores,
          comment,
          at: new Date(now).toISOString(),
        });
        if (!done) throw unavailable(item);
        for (const s of request.scores) {
          await writeScore(trx, {
            traceId: item.traceId,
            ...(item.spanId ? { spanId: item.spanId } : {}),
            name: s.name,
            value: s.value,
            ...(comment === null ? {} : { comment }),
            source: 'human',
          });
        }
        return publicItem(done);
      });
    },

    /** @throws AppError ANNOTATION_ITEM_NOT_FOUND, ANNOTATION_ITEM_UNAVAILABLE */
    async skip(projectId: number, id: number, itemId: number, reviewer: Reviewer): Promise<AnnotationItem> {
      const queue = await requireQueue(database.db, projectId, id);
      requireAssignee(queue, reviewer);
      return database.db.transaction().execute(async (trx) => {
        const item = await requireItem(trx, queue, itemId);
        const done = await store.finish(trx, itemId, reviewer, nowMs(), {
          status: 'skipped',
          scores: [],
          comment: null,
          at: isoNow(clock),
        });
        if (!done) throw unavailable(item);
        return publicItem(done);
      });
    },

    /**
     * The item's trace as a dataset item, through the add-to-dataset service of traces (the span
     * the item names, else the trace's first span with a prompt).
     *
     * @throws AppError ANNOTATION_ITEM_NOT_FOUND, DATASET_NOT_FOUND (without `create`)
     */
    async toDataset(
      projectId: number,
      id: number,
      itemId: number,
      request: AnnotationItemToDatasetRequest,
      actor: string,
    ): Promise<TracesToDatasetResult> {
      const queue = await requireQueue(database.db, projectId, id);
      const item = await requireItem(database.db, queue, itemId);
      return fromTraces.add(
        projectId,
        request.dataset,
        {
          traces: [{ traceId: item.traceId, ...(item.spanId ? { spanId: item.spanId } : {}) }],
          limit: 1,
          create: request.create,
          expected: request.expected,
        },
        actor,
      );
    },

    /** One sampling pass in its own transactions (tests and benches drive it directly). */
    sampleAll: () => sampleAll((fn) => database.db.transaction().execute(fn)),

    /** End-user erasure: removes the items of these traces (in the caller's transaction), answers how many. */
    eraseItemsOfTraces: (trx: Db, projectId: number, traceIds: readonly string[]) =>
      store.deleteItemsOfTraces(trx, projectId, traceIds),

    /** Score definition names the project's queues use (a used definition cannot be deleted). */
    queuesUsingScore: (db: Db, projectId: number, name: string) =>
      store.queuesUsingScore(db, projectId, name),
  };
}

export type AnnotationService = ReturnType<typeof createAnnotationService>;
