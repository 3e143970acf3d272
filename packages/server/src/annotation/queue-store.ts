/** The SQL of annotation queues and their items, including the lease that makes a claim exclusive. */
import { type AnnotationItem, type AnnotationProgress, AnnotationSampling } from '@promptline/core';
import { type Selectable, sql } from 'kysely';
import { z } from 'zod';
import { decodeJsonAs, encodeJson, toNumber } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
import { type AnnotationItemsTable, type AnnotationQueuesTable, annotationDb } from './migration.ts';

const Names = z.array(z.string());
const GivenScores = z.array(
  z.object({ name: z.string(), value: z.union([z.number(), z.boolean(), z.string()]) }),
);

export interface StoredQueue {
  id: number;
  projectId: number;
  name: string;
  description: string;
  scoreDefinitions: string[];
  assignees: string[];
  sampling: AnnotationSampling | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredItem extends AnnotationItem {
  projectId: number;
  reviewerId: number | null;
}

function toQueue(row: Selectable<AnnotationQueuesTable>): StoredQueue {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    scoreDefinitions: decodeJsonAs(Names, row.score_names, 'annotation queue score names'),
    assignees: decodeJsonAs(Names, row.assignees, 'annotation queue assignees'),
    sampling:
      row.sampling === null
        ? null
        : decodeJsonAs(AnnotationSampling, row.sampling, 'annotation queue sampling'),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** An item as the API shows it at `nowMs`: a pending item under a live lease is "claimed". */
function toItem(row: Selectable<AnnotationItemsTable>, nowMs: number): StoredItem {
  const lease = row.lease_until_ms === null ? null : toNumber(row.lease_until_ms);
  const held = row.status === 'pending' && lease !== null && lease > nowMs;
  const status =
    row.status === 'completed' || row.status === 'skipped' ? row.status : held ? 'claimed' : 'pending';
  return {
    id: row.id,
    projectId: row.project_id,
    queueId: row.queue_id,
    traceId: row.trace_id,
    spanId: row.span_id,
    status,
    reviewerId: status === 'pending' ? null : row.reviewer_id,
    reviewer: status === 'pending' ? null : row.reviewer,
    leaseUntil: held && lease !== null ? new Date(lease).toISOString() : null,
    scores: decodeJsonAs(GivenScores, row.scores, 'annotation item scores'),
    comment: row.comment,
    createdAt: row.created_at,
    doneAt: row.done_at,
  };
}

const emptyProgress = (): AnnotationProgress => ({
  total: 0,
  pending: 0,
  claimed: 0,
  completed: 0,
  skipped: 0,
});

export function createQueueStore() {
  /** Open (pending) items nobody holds at `nowMs`. */
  const open = (db: Db, queueId: number, nowMs: number) =>
    annotationDb(db)
      .selectFrom('annotation_items')
      .where('queue_id', '=', queueId)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('lease_until_ms', 'is', null), eb('lease_until_ms', '<=', nowMs)]));

  return {
    async insertQueue(db: Db, q: Omit<StoredQueue, 'id'>): Promise<StoredQueue> {
      const row = await annotationDb(db)
        .insertInto('annotation_queues')
        .values({
          project_id: q.projectId,
          name: q.name,
          description: q.description,
          score_names: encodeJson(q.scoreDefinitions),
          assignees: encodeJson(q.assignees),
          sampling: q.sampling === null ? null : encodeJson(q.sampling),
          sampled_until_ms: q.sampling === null ? null : Date.parse(q.createdAt),
          created_by: q.createdBy,
          created_at: q.createdAt,
          updated_at: q.updatedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toQueue(row);
    },

    async listQueues(db: Db, projectId: number): Promise<StoredQueue[]> {
      const rows = await annotationDb(db)
        .selectFrom('annotation_queues')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('id')
        .execute();
      return rows.map(toQueue);
    },

    async findQueue(db: Db, projectId: number, id: number): Promise<StoredQueue | undefined> {
      const row = await annotationDb(db)
        .selectFrom('annotation_queues')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toQueue(row) : undefined;
    },

    async updateQueue(
      db: Db,
      id: number,
      change: Pick<StoredQueue, 'name' | 'description' | 'scoreDefinitions' | 'assignees' | 'updatedAt'> & {
        /** A new rule (sampling starts at `updatedAt`) or null; absent: unchanged. */
        sampling?: AnnotationSampling | null;
      },
    ): Promise<StoredQueue> {
      const row = await annotationDb(db)
        .updateTable('annotation_queues')
        .set({
          name: change.name,
          description: change.description,
          score_names: encodeJson(change.scoreDefinitions),
          assignees: encodeJson(change.assignees),
          updated_at: change.updatedAt,
          ...(change.sampling === undefined
            ? {}
            : {
                sampling: change.sampling === null ? null : encodeJson(change.sampling),
                sampled_until_ms: change.sampling === null ? null : Date.parse(change.updatedAt),
              }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toQueue(row);
    },

    /** Deletes a queue and its items. */
    async removeQueue(db: Db, id: number): Promise<number> {
      const items = await annotationDb(db)
        .deleteFrom('annotation_items')
        .where('queue_id', '=', id)
        .executeTakeFirst();
      await annotationDb(db).deleteFrom('annotation_queues').where('id', '=', id).execute();
      return Number(items.numDeletedRows);
    },

    /** Queues with a sampling rule (every project), with how far sampling has read. */
    async sampling(db: Db): Promise<{ queue: StoredQueue; untilMs: number }[]> {
      const rows = await annotationDb(db)
        .selectFrom('annotation_queues')
        .selectAll()
        .where('sampling', 'is not', null)
        .orderBy('id')
        .execute();
      return rows.map((row) => ({ queue: toQueue(row), untilMs: toNumber(row.sampled_until_ms ?? 0) }));
    },

    /** Records how far sampling has read, unless the rule changed meanwhile (then its own start holds). */
    async sampledUntil(db: Db, id: number, fromMs: number, untilMs: number): Promise<void> {
      await annotationDb(db)
        .updateTable('annotation_queues')
        .set({ sampled_until_ms: untilMs })
        .where('id', '=', id)
        .where('sampled_until_ms', '=', fromMs)
        .execute();
    },

    /** The project's queues that use the score definition `name` (id order). */
    async queuesUsingScore(db: Db, projectId: number, name: string): Promise<{ id: number; name: string }[]> {
      const rows = await annotationDb(db)
        .selectFrom('annotation_queues')
        .select(['id', 'name', 'score_names'])
        .where('project_id', '=', projectId)
        .orderBy('id')
        .execute();
      return rows
        .filter((r) => decodeJsonAs(Names, r.score_names, 'annotation queue score names').includes(name))
        .map((r) => ({ id: r.id, name: r.name }));
    },

    /** Counts per queue at `nowMs` (a queue without items has zeros). */
    async progress(
      db: Db,
      queueIds: readonly number[],
      nowMs: number,
    ): Promise<Map<number, AnnotationProgress>> {
      const result = new Map(queueIds.map((id) => [id, emptyProgress()]));
      if (queueIds.length === 0) return result;
      const rows = await annotationDb(db)
        .selectFrom('annotation_items')
        .select((eb) => [
          'queue_id',
          'status',
          eb.fn.countAll().as('n'),
          sql<number>`sum(case when lease_until_ms > ${nowMs} then 1 else 0 end)`.as('held'),
        ])
        .where('queue_id', 'in', [...queueIds])
        .groupBy(['queue_id', 'status'])
        .execute();
      for (const row of rows) {
        const p = result.get(row.queue_id);
        if (!p) continue;
        const n = toNumber(row.n);
        p.total += n;
        if (row.status === 'completed') p.completed += n;
        else if (row.status === 'skipped') p.skipped += n;
        else {
          const held = toNumber(row.held ?? 0);
          p.claimed += held;
          p.pending += n - held;
        }
      }
      return result;
    },

    /** Adds traces to a queue; one already there is left as it is. Answers how many were added. */
    async insertItems(
      db: Db,
      projectId: number,
      queueId: number,
      picks: readonly { traceId: string; spanId?: string | undefined }[],
      createdAt: string,
    ): Promise<number> {
      let added = 0;
      for (let i = 0; i < picks.length; i += 200) {
        const rows = await annotationDb(db)
          .insertInto('annotation_items')
          .values(
            picks.slice(i, i + 200).map((p) => ({
              project_id: projectId,
              queue_id: queueId,
              trace_id: p.traceId,
              span_id: p.spanId ?? null,
              status: 'pending',
              reviewer_id: null,
              reviewer: null,
              lease_until_ms: null,
              scores: '[]',
              comment: null,
              created_at: createdAt,
              done_at: null,
            })),
          )
          .onConflict((oc) => oc.columns(['queue_id', 'trace_id']).doNothing())
          .returning('id')
          .execute();
        added += rows.length;
      }
      return added;
    },

    /** The pending item this reviewer holds under a live lease, if any. */
    async heldBy(
      db: Db,
      queueId: number,
      reviewerId: number,
      nowMs: number,
    ): Promise<StoredItem | undefined> {
      const row = await annotationDb(db)
        .selectFrom('annotation_items')
        .selectAll()
        .where('queue_id', '=', queueId)
        .where('status', '=', 'pending')
        .where('reviewer_id', '=', reviewerId)
        .where('lease_until_ms', '>', nowMs)
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row ? toItem(row, nowMs) : undefined;
    },

    /** The oldest open item's id, or undefined when none is left. */
    async firstOpen(db: Db, queueId: number, nowMs: number): Promise<number | undefined> {
      const row = await open(db, queueId, nowMs).select('id').orderBy('id').limit(1).executeTakeFirst();
      return row?.id;
    },

    /**
     * Takes (or renews) the lease of an item, only if it is still pending and nobody else holds it:
     * the condition is re-checked by the UPDATE itself, so of two reviewers racing for one item
     * exactly one gets a row back (PostgreSQL re-evaluates it after the row lock; SQLite has one
     * writer). Answers the item, or undefined when someone else took it first.
     */
    async claim(
      db: Db,
      itemId: number,
      reviewer: { id: number; email: string },
      nowMs: number,
      leaseUntilMs: number,
    ): Promise<StoredItem | undefined> {
      const row = await annotationDb(db)
        .updateTable('annotation_items')
        .set({ reviewer_id: reviewer.id, reviewer: reviewer.email, lease_until_ms: leaseUntilMs })
        .where('id', '=', itemId)
        .where('status', '=', 'pending')
        .where((eb) =>
          eb.or([
            eb('lease_until_ms', 'is', null),
            eb('lease_until_ms', '<=', nowMs),
            eb('reviewer_id', '=', reviewer.id),
          ]),
        )
        .returningAll()
        .executeTakeFirst();
      return row ? toItem(row, nowMs) : undefined;
    },

    async findItem(db: Db, queueId: number, itemId: number, nowMs: number): Promise<StoredItem | undefined> {
      const row = await annotationDb(db)
        .selectFrom('annotation_items')
        .selectAll()
        .where('queue_id', '=', queueId)
        .where('id', '=', itemId)
        .executeTakeFirst();
      return row ? toItem(row, nowMs) : undefined;
    },

    /**
     * Completes or skips an item, only if it is still pending and not held by another reviewer
     * (same guarded UPDATE as `claim`). Answers the item, or undefined when that no longer holds.
     */
    async finish(
      db: Db,
      itemId: number,
      reviewer: { id: number; email: string },
      nowMs: number,
      done: { status: 'completed' | 'skipped'; scores: unknown[]; comment: string | null; at: string },
    ): Promise<StoredItem | undefined> {
      const row = await annotationDb(db)
        .updateTable('annotation_items')
        .set({
          status: done.status,
          reviewer_id: reviewer.id,
          reviewer: reviewer.email,
          lease_until_ms: null,
          scores: encodeJson(done.scores),
          comment: done.comment,
          done_at: done.at,
        })
        .where('id', '=', itemId)
        .where('status', '=', 'pending')
        .where((eb) =>
          eb.or([
            eb('lease_until_ms', 'is', null),
            eb('lease_until_ms', '<=', nowMs),
            eb('reviewer_id', '=', reviewer.id),
          ]),
        )
        .returningAll()
        .executeTakeFirst();
      return row ? toItem(row, nowMs) : undefined;
    },

    /** Deletes the items of these traces in every queue of the project; answers how many. */
    async deleteItemsOfTraces(db: Db, projectId: number, traceIds: readonly string[]): Promise<number> {
      let removed = 0;
      for (let i = 0; i < traceIds.length; i += 500) {
        const result = await annotationDb(db)
          .deleteFrom('annotation_items')
          .where('project_id', '=', projectId)
          .where('trace_id', 'in', traceIds.slice(i, i + 500))
          .executeTakeFirst();
        removed += Number(result.numDeletedRows);
      }
      return removed;
    },

    /** A page of a queue's items by id; `status` as the API shows it at `nowMs`. */
    async listItems(
      db: Db,
      queueId: number,
      query: { status?: string | undefined; after?: number | undefined; limit: number },
      nowMs: number,
    ): Promise<StoredItem[]> {
      let q = annotationDb(db).selectFrom('annotation_items').selectAll().where('queue_id', '=', queueId);
      if (query.after !== undefined) q = q.where('id', '>', query.after);
      if (query.status === 'completed' || query.status === 'skipped')
        q = q.where('status', '=', query.status);
      else if (query.status === 'claimed')
        q = q.where('status', '=', 'pending').where('lease_until_ms', '>', nowMs);
      else if (query.status === 'pending') {
        q = q
          .where('status', '=', 'pending')
          .where((eb) => eb.or([eb('lease_until_ms', 'is', null), eb('lease_until_ms', '<=', nowMs)]));
      }
      const rows = await q.orderBy('id').limit(query.limit).execute();
      return rows.map((r) => toItem(r, nowMs));
    },
  };
}
