import type { Job, JobStatus } from '@promptline/core';
import { z } from 'zod';
import { decodeBool, decodeJsonAs, encodeJson, toNumber } from '../db/codecs.ts';
import type { Db, Dialect } from '../db/database.ts';
import type { JobsTable, JobTables } from './migration.ts';

const tables = (db: Db) => db.withTables<JobTables>();

type JobRow = Omit<JobsTable, 'id'> & { id: number };

/** A job as stored, with its payload still unchecked (each kind's schema parses it). */
export interface StoredJob extends Omit<Job, 'payload'> {
  key: string | null;
  projectId: number | null;
  payload: unknown;
  cancelRequested: boolean;
}

function toJob(row: JobRow): StoredJob {
  return {
    id: row.id,
    kind: row.kind,
    key: row.key,
    projectId: row.project_id,
    // Each kind's handler parses its payload with its own schema; here it only has to be JSON.
    payload: decodeJsonAs(z.unknown(), row.payload, 'jobs.payload'),
    status: row.status as JobStatus,
    attempts: toNumber(row.attempts),
    maxAttempts: toNumber(row.max_attempts),
    runAfter: row.run_after,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    cancelRequested: decodeBool(row.cancel_requested),
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export interface NewJob {
  kind: string;
  key: string | null;
  projectId: number | null;
  payload: unknown;
  maxAttempts: number;
  runAfter: string;
  at: string;
}

/** SQL of the job queue and the recurring schedule. */
export function createJobStore(dialect: Dialect) {
  return {
    /** Inserts a job; with a key already taken, nothing is inserted and the existing job is returned. */
    async insert(db: Db, job: NewJob): Promise<StoredJob> {
      const values = {
        kind: job.kind,
        key: job.key,
        project_id: job.projectId,
        payload: encodeJson(job.payload),
        status: 'queued',
        attempts: 0,
        max_attempts: job.maxAttempts,
        run_after: job.runAfter,
        lease_owner: null,
        lease_expires_at: null,
        cancel_requested: 0,
        last_error: null,
        created_at: job.at,
        updated_at: job.at,
        finished_at: null,
      };
      const inserted = await tables(db)
        .insertInto('jobs')
        .values(values)
        .onConflict((oc) => oc.column('key').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return toJob(inserted);
      const existing = await tables(db)
        .selectFrom('jobs')
        .selectAll()
        .where('key', '=', job.key)
        .executeTakeFirstOrThrow();
      return toJob(existing);
    },

    async find(db: Db, id: number): Promise<StoredJob | undefined> {
      const row = await tables(db).selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toJob(row) : undefined;
    },

    async findByKey(db: Db, key: string): Promise<StoredJob | undefined> {
      const row = await tables(db).selectFrom('jobs').selectAll().where('key', '=', key).executeTakeFirst();
      return row ? toJob(row) : undefined;
    },

    async list(
      db: Db,
      query: {
        projectId: number;
        status?: string | undefined;
        kind?: string | undefined;
        before?: number | undefined;
        limit: number;
      },
    ): Promise<StoredJob[]> {
      let q = tables(db)
        .selectFrom('jobs')
        .selectAll()
        .where((eb) => eb.or([eb('project_id', '=', query.projectId), eb('project_id', 'is', null)]));
      if (query.status) q = q.where('status', '=', query.status);
      if (query.kind) q = q.where('kind', '=', query.kind);
      if (query.before !== undefined) q = q.where('id', '<', query.before);
      const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map(toJob);
    },

    /**
     * Takes up to `limit` jobs of `kind` that are due (queued, run_after passed) or whose holder's
     * lease expired, in one statement. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets instances claim
     * side by side without waiting on or double-taking a row; on SQLite the single statement is
     * its own write transaction (one writer at a time).
     */
    async claim(
      db: Db,
      claim: { kind: string; owner: string; limit: number; now: string; leaseUntil: string },
    ): Promise<StoredJob[]> {
      let due = tables(db)
        .selectFrom('jobs')
        .select('id')
        .where('kind', '=', claim.kind)
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'queued'), eb('run_after', '<=', claim.now)]),
            eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', claim.now)]),
          ]),
        )
        .orderBy('run_after')
        .orderBy('id')
        .limit(claim.limit);
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await tables(db)
        .updateTable('jobs')
        .set((eb) => ({
          status: 'running',
          lease_owner: claim.owner,
          lease_expires_at: claim.leaseUntil,
          attempts: eb('attempts', '+', 1),
          updated_at: claim.now,
        }))
        .where('id', 'in', due)
        .returningAll()
        .execute();
      return rows.map(toJob).sort((a, b) => a.id - b.id);
    },

    /** Extends a lease this owner holds; answers whether a cancel was requested, or null when the lease is lost. */
    async renew(
      db: Db,
      id: number,
      owner: string,
      leaseUntil: string,
      now: string,
    ): Promise<{ cancelRequested: boolean } | null> {
      const row = await tables(db)
        .updateTable('jobs')
        .set({ lease_expires_at: leaseUntil, updated_at: now })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .returning('cancel_requested')
        .executeTakeFirst();
      return row ? { cancelRequested: decodeBool(row.cancel_requested) } : null;
    },

    /**
     * True when `owner` still holds the job, locking its row until the transaction ends on
     * PostgreSQL, so no other instance can claim it between this check and the caller's writes.
     */
    async holds(db: Db, id: number, owner: string): Promise<boolean> {
      let q = tables(db)
        .selectFrom('jobs')
        .select('id')
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running');
      if (dialect === 'postgres') q = q.forUpdate();
      return (await q.executeTakeFirst()) !== undefined;
    },

    /** Ends a job this owner holds (succeeded, failed or cancelled). False when the lease was lost. */
    async finish(
      db: Db,
      id: number,
      owner: string,
      end: { status: 'succeeded' | 'failed' | 'cancelled'; error: string | null; at: string },
    ): Promise<boolean> {
      const rows = await tables(db)
        .updateTable('jobs')
        .set({
          status: end.status,
          last_error: end.error,
          lease_owner: null,
          lease_expires_at: null,
          finished_at: end.at,
          updated_at: end.at,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .returning('id')
        .execute();
      return rows.length > 0;
    },

    /** Puts a job this owner holds back in the queue: a retry after `runAfter`, or (shutdown) at once without using up an attempt. */
    async requeue(
      db: Db,
      id: number,
      owner: string,
      next: { runAfter: string; error: string | null; refundAttempt: boolean; at: string },
    ): Promise<boolean> {
      const rows = await tables(db)
        .updateTable('jobs')
        .set((eb) => ({
          status: 'queued',
          run_after: next.runAfter,
          lease_owner: null,
          lease_expires_at: null,
          updated_at: next.at,
          ...(next.error === null ? {} : { last_error: next.error }),
          ...(next.refundAttempt ? { attempts: eb('attempts', '-', 1) } : {}),
        }))
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .returning('id')
        .execute();
      return rows.length > 0;
    },

    /**
     * Cancels a job by key: a queued one ends cancelled now; a running one gets the flag its
     * holder reads at its next lease renewal. Answers what happened.
     */
    async cancel(db: Db, key: string, at: string): Promise<'cancelled' | 'requested' | 'none'> {
      const queued = await tables(db)
        .updateTable('jobs')
        .set({ status: 'cancelled', cancel_requested: 1, finished_at: at, updated_at: at })
        .where('key', '=', key)
        .where('status', '=', 'queued')
        .returning('id')
        .execute();
      if (queued.length > 0) return 'cancelled';
      const running = await tables(db)
        .updateTable('jobs')
        .set({ cancel_requested: 1, updated_at: at })
        .where('key', '=', key)
        .where('status', '=', 'running')
        .returning('id')
        .execute();
      return running.length > 0 ? 'requested' : 'none';
    },

    /** Deletes finished jobs: succeeded/cancelled ones before `doneBefore`, failed ones before `failedBefore`. */
    async deleteFinished(db: Db, doneBefore: string, failedBefore: string): Promise<number> {
      const result = await tables(db)
        .deleteFrom('jobs')
        .where((eb) =>
          eb.or([
            eb.and([eb('status', 'in', ['succeeded', 'cancelled']), eb('finished_at', '<', doneBefore)]),
            eb.and([eb('status', '=', 'failed'), eb('finished_at', '<', failedBefore)]),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /**
     * Jobs queued, running and failed (failed ones stay 30 days), by kind, with the `run_after` of
     * the oldest queued one: what /metrics reports of the queue.
     */
    async countByKind(
      db: Db,
    ): Promise<Array<{ kind: string; status: string; count: number; oldestRunAfter: string | null }>> {
      const rows = await tables(db)
        .selectFrom('jobs')
        .select((eb) => [
          'kind',
          'status',
          eb.fn.countAll<number | string>().as('count'),
          eb.fn.min('run_after').as('oldest'),
        ])
        .where('status', 'in', ['queued', 'running', 'failed'])
        .groupBy(['kind', 'status'])
        .execute();
      return rows.map((row) => ({
        kind: row.kind,
        status: row.status,
        count: toNumber(row.count),
        oldestRunAfter: row.status === 'queued' ? row.oldest : null,
      }));
    },

    /** Adds a recurring kind to the schedule (first run now) unless it is there already; updates its interval. */
    async schedule(db: Db, kind: string, everySeconds: number, now: string): Promise<void> {
      await tables(db)
        .insertInto('recurring_jobs')
        .values({ kind, every_seconds: everySeconds, next_run_at: now })
        .onConflict((oc) => oc.column('kind').doUpdateSet({ every_seconds: everySeconds }))
        .execute();
    },

    /**
     * Claims the current interval of a recurring kind: moves `next_run_at` on only if it is due.
     * The row update is atomic on both dialects, so of several instances exactly one gets `true`.
     */
    async claimSlot(db: Db, kind: string, now: string, next: string): Promise<boolean> {
      const rows = await tables(db)
        .updateTable('recurring_jobs')
        .set({ next_run_at: next })
        .where('kind', '=', kind)
        .where('next_run_at', '<=', now)
        .returning('kind')
        .execute();
      return rows.length > 0;
    },
  };
}

export type JobStore = ReturnType<typeof createJobStore>;
