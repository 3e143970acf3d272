/**
 * Background upkeep of span storage, run by the job runner on every instance's schedule (one run
 * at a time across instances): daily partitions created ahead (PostgreSQL), and retention.
 */
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import type { JobService } from '../jobs/service.ts';
import { createPartitionStore, DAY_MS, partitionDay, partitionName } from './partition-store.ts';
import { createScoreStore } from './score-store.ts';
import { retentionByProject } from './settings.ts';
import { createSpanStore } from './store.ts';

export const PARTITIONS_JOB = 'traces.partitions';
export const RETENTION_JOB = 'traces.retention';

export interface TraceMaintenanceOptions {
  database: Database;
  clock: Clock;
  /** Every project's id (retention is per project). */
  projectIds: (db: Db) => Promise<number[]>;
  /** Days of partitions created ahead of today (default 3). */
  daysAhead?: number;
  /** Rows a retention transaction removes at most (default 5 000). */
  batchSize?: number;
}

export interface RetentionResult {
  droppedPartitions: string[];
  deletedSpans: number;
  deletedScores: number;
  deletedTraces: number;
}

const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

export function createTraceMaintenance(options: TraceMaintenanceOptions) {
  const { database, clock } = options;
  const daysAhead = options.daysAhead ?? 3;
  const batch = options.batchSize ?? 5_000;
  const partitions = createPartitionStore();
  const spans = createSpanStore(database.dialect);
  const scores = createScoreStore();
  type Write = <T>(write: (trx: Db) => Promise<T>) => Promise<T>;
  const direct: Write = (write) => database.db.transaction().execute(write);

  /** Repeats a bounded delete, each batch in its own transaction, until a batch comes back short. */
  async function drain(
    write: Write,
    once: (trx: Db) => Promise<number>,
    signal?: AbortSignal,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await write(once);
      total += n;
      if (n < batch || signal?.aborted) return total;
    }
  }

  const maintenance = {
    /** Creates the missing daily partitions from yesterday to `daysAhead` days ahead; answers their names. */
    async ensurePartitions(write: Write = direct, fromMs?: number, toMs?: number): Promise<string[]> {
      if (database.dialect !== 'postgres') return [];
      const today = startOfDay(clock.now().getTime());
      const first = startOfDay(fromMs ?? today - DAY_MS);
      const last = startOfDay(toMs ?? today + daysAhead * DAY_MS);
      const existing = new Set(await partitions.list(database.db));
      const created: string[] = [];
      for (let day = first; day <= last; day += DAY_MS) {
        const name = partitionName(day);
        if (existing.has(name)) continue;
        await write((trx) => partitions.create(trx, day));
        created.push(name);
      }
      return created;
    },

    /**
     * Removes every span (with its scores and, once all its spans are gone, its trace row) older
     * than its project's retention. On PostgreSQL whole days older than every project's
     * retention go first by dropping their partitions; the rest is deleted in bounded batches.
     */
    async applyRetention(write: Write = direct, signal?: AbortSignal): Promise<RetentionResult> {
      const now = clock.now().getTime();
      const { projects, fallback } = await retentionByProject(database.db);
      const ids = await options.projectIds(database.db);
      const days = (id: number) => projects.get(id) ?? fallback;
      const result: RetentionResult = {
        droppedPartitions: [],
        deletedSpans: 0,
        deletedScores: 0,
        deletedTraces: 0,
      };
      if (database.dialect === 'postgres') {
        const longest = ids.length > 0 ? Math.max(...ids.map(days)) : fallback;
        const cutoff = now - longest * DAY_MS;
        for (const name of await partitions.list(database.db)) {
          const day = partitionDay(name);
          if (day === undefined || day + DAY_MS > cutoff) continue;
          await write((trx) => partitions.drop(trx, name));
          result.droppedPartitions.push(name);
        }
      }
      for (const id of ids) {
        const before = now - days(id) * DAY_MS;
        result.deletedScores += await drain(
          write,
          (trx) => scores.deleteBefore(trx, id, before, batch),
          signal,
        );
        result.deletedSpans += await drain(
          write,
          (trx) => spans.deleteSpansBefore(trx, id, before, batch),
          signal,
        );
        result.deletedTraces += await drain(
          write,
          (trx) => spans.deleteTracesBefore(trx, id, before, batch),
          signal,
        );
      }
      return result;
    },

    /** Registers both jobs with the runner, hourly. */
    register(jobs: JobService): void {
      jobs.register({
        kind: PARTITIONS_JOB,
        payload: z.object({}),
        maxAttempts: 3,
        run: async (_payload, ctx) => {
          await maintenance.ensurePartitions(ctx.fenced);
        },
      });
      jobs.register({
        kind: RETENTION_JOB,
        payload: z.object({}),
        maxAttempts: 3,
        run: async (_payload, ctx) => {
          await maintenance.applyRetention(ctx.fenced, ctx.signal);
        },
      });
      if (database.dialect === 'postgres') jobs.every(PARTITIONS_JOB, 3_600);
      jobs.every(RETENTION_JOB, 3_600);
    },
  };
  return maintenance;
}

/**
 * Creates today's and the coming days' span partitions before an instance serves (PostgreSQL;
 * nothing on SQLite). Without it, the spans of a fresh install's first minutes land in the default
 * partition, and when the recurring job then moves them into their day, a read running at that
 * moment misses them (the moved rows are not yet visible to its snapshot while the default
 * partition no longer covers their range): a score sent for a just-acknowledged span got a 404.
 */
export async function ensureSpanPartitions(database: Database, clock: Clock): Promise<string[]> {
  return createTraceMaintenance({ database, clock, projectIds: async () => [] }).ensurePartitions();
}
