import { AppError, type Job, type JobPage, type ListJobsQuery } from '@promptline/core';
import { z } from 'zod';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { cursorId, nextCursor } from '../paging.ts';
import { createJobRunner, type JobHandler, type JobRunnerOptions, type RunnerLogger } from './runner.ts';
import { createJobStore, type StoredJob } from './store.ts';

/** Retention of finished jobs: succeeded and cancelled ones for 7 days, failed ones for 30. */
const RETENTION = { kind: 'jobs.retention', everySeconds: 3600, doneDays: 7, failedDays: 30 };
const DAY_MS = 86_400_000;

export interface JobServiceOptions
  extends Pick<JobRunnerOptions, 'owner' | 'leaseMs' | 'pollMs' | 'backoffMs' | 'maxBackoffMs'> {
  database: Database;
  clock: Clock;
  logger?: RunnerLogger | undefined;
  /** Interval of the retention job in seconds (default 3600). */
  retentionEverySeconds?: number | undefined;
}

/** Runner settings a deployment tunes (and tests shorten). */
export type JobSettings = Omit<JobServiceOptions, 'database' | 'clock' | 'logger'>;

/**
 * Background work: features register handlers for their job kinds and enqueue jobs (in their own
 * transactions, so a job exists exactly when the work it stands for was committed); admins list
 * jobs through the API. Starts the runner on `start()` and hands jobs back on `stop()`.
 */
export function createJobService(options: JobServiceOptions) {
  const { database, clock } = options;
  const store = createJobStore(database.dialect);
  const runner = createJobRunner({ ...options, store });

  runner.register({
    kind: RETENTION.kind,
    payload: z.object({}),
    maxAttempts: 3,
    async run(_payload, ctx) {
      const now = clock.now().getTime();
      await ctx.fenced((trx) =>
        store.deleteFinished(
          trx,
          new Date(now - RETENTION.doneDays * DAY_MS).toISOString(),
          new Date(now - RETENTION.failedDays * DAY_MS).toISOString(),
        ),
      );
    },
  });
  runner.every(RETENTION.kind, options.retentionEverySeconds ?? RETENTION.everySeconds);

  function publicJob(job: StoredJob): Job {
    const { key: _key, projectId: _projectId, cancelRequested: _cancel, ...rest } = job;
    return {
      ...rest,
      payload:
        typeof job.payload === 'object' && job.payload !== null && !Array.isArray(job.payload)
          ? (job.payload as Record<string, unknown>)
          : { value: job.payload },
    };
  }

  function interrupt(key: string): void {
    store.findByKey(database.db, key).then(
      (job) => {
        if (job?.leaseOwner === runner.owner) runner.abort(job.id, 'cancel');
      },
      (error: unknown) => options.logger?.warn({ err: error, key }, 'job interrupt: lookup failed'),
    );
  }

  return {
    register<P>(handler: JobHandler<P>): void {
      runner.register(handler);
    },
    every(kind: string, everySeconds: number): void {
      runner.every(kind, everySeconds);
    },

    /**
     * Adds a job inside the caller's transaction. A `key` names the work: enqueuing the same key
     * again returns the existing job instead of a second one. Call `wake()` after the commit.
     */
    async enqueue(
      db: Db,
      job: { kind: string; payload: unknown; key?: string; projectId?: number; runAfter?: string },
    ): Promise<StoredJob> {
      const now = isoNow(clock);
      return store.insert(db, {
        kind: job.kind,
        key: job.key ?? null,
        projectId: job.projectId ?? null,
        payload: job.payload,
        maxAttempts: runner.maxAttemptsOf(job.kind),
        runAfter: job.runAfter ?? now,
        at: now,
      });
    },

    /**
     * Cancels the job named `key` inside the caller's transaction: a queued one at once
     * (`cancelled`), a running one at its holder's next lease renewal (`requested`). After the
     * commit, `interrupt(key)` stops it at once when this process is the holder.
     */
    async cancel(db: Db, key: string): Promise<'cancelled' | 'requested' | 'none'> {
      return store.cancel(db, key, isoNow(clock));
    },

    /** Stops the job named `key` now if this process runs it (its cancel is committed). */
    interrupt,

    /**
     * Cancels the job named `key` and the record it works on (an eval or red-team run) in one
     * transaction, then interrupts the job if this process holds it. The job row is written
     * first, then `cancelRecord` (told what became of the job): the job's own fenced writes lock
     * in that order, and the other order lets PostgreSQL deadlock a cancel against a progress
     * write. `cancelRecord` ends the record itself unless the job is `requested` (still running:
     * its handler ends the record when it stops).
     */
    async cancelWith(
      key: string,
      cancelRecord: (trx: Db, job: 'cancelled' | 'requested' | 'none') => Promise<void>,
    ): Promise<void> {
      const job = await database.db.transaction().execute(async (trx) => {
        const outcome = await store.cancel(trx, key, isoNow(clock));
        await cancelRecord(trx, outcome);
        return outcome;
      });
      if (job === 'requested') interrupt(key);
    },

    /**
     * One job of the project (or an instance-wide one).
     *
     * @throws AppError JOB_NOT_FOUND
     */
    async get(projectId: number, id: number): Promise<Job> {
      const job = await store.find(database.db, id);
      if (!job || (job.projectId !== null && job.projectId !== projectId)) {
        throw new AppError('JOB_NOT_FOUND', `No job ${id}. List jobs with GET /api/v1/jobs.`);
      }
      return publicJob(job);
    },

    async findByKey(key: string): Promise<StoredJob | undefined> {
      return store.findByKey(database.db, key);
    },

    /** Jobs of a project and the instance-wide ones, newest first. */
    async list(projectId: number, query: ListJobsQuery): Promise<JobPage> {
      const jobs = await store.list(database.db, {
        projectId,
        status: query.status,
        kind: query.kind,
        before: cursorId(query.cursor),
        limit: query.limit,
      });
      return { items: jobs.map(publicJob), nextCursor: nextCursor(jobs, query.limit) };
    },

    /**
     * The queue as /metrics reports it: jobs per kind and status (queued, running, failed), and per
     * kind the age in seconds of the oldest queued job that is due (0 when none is).
     */
    async queueStats(): Promise<{
      jobs: Array<{ kind: string; status: string; count: number }>;
      oldestDueSeconds: Array<{ kind: string; seconds: number }>;
    }> {
      const rows = await store.countByKind(database.db);
      const now = clock.now().getTime();
      const oldest = new Map<string, number>();
      for (const row of rows) {
        if (row.status !== 'queued') continue;
        const due = row.oldestRunAfter === null ? Number.NaN : now - Date.parse(row.oldestRunAfter);
        oldest.set(row.kind, Number.isFinite(due) && due > 0 ? due / 1000 : 0);
      }
      return {
        jobs: rows.map(({ kind, status, count }) => ({ kind, status, count })),
        oldestDueSeconds: [...oldest].map(([kind, seconds]) => ({ kind, seconds })),
      };
    },

    wake: runner.wake,
    tick: runner.tick,
    idle: runner.idle,
    start: runner.start,
    stop: runner.stop,
    owner: runner.owner,
  };
}

export type JobService = ReturnType<typeof createJobService>;
