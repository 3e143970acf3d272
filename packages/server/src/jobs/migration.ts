import type { Generated, Kysely, Migration } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  /** Identity of the work (`eval.run:42`, `jobs.retention@<slot>`): one job per key, ever. */
  key: string | null;
  /** The project the work belongs to; null for instance-wide work (retention). */
  project_id: number | null;
  payload: string;
  status: string;
  attempts: number;
  max_attempts: number;
  run_after: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  cancel_requested: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface RecurringJobsTable {
  kind: string;
  every_seconds: number;
  /** Claimed atomically (`update … where next_run_at <= now`): one instance per interval wins. */
  next_run_at: string;
}

// A type alias, not an interface: withTables() needs the implicit index signature.
export type JobTables = { jobs: JobsTable; recurring_jobs: RecurringJobsTable };

/** The job queue and the schedule of recurring jobs. */
export function jobTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('jobs'), dialect)
        .addColumn('kind', 'text', notNull)
        .addColumn('key', 'text', (c) => c.unique())
        .addColumn('project_id', 'integer', (c) => c.references('projects.id'))
        .addColumn('payload', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('attempts', 'integer', notNull)
        .addColumn('max_attempts', 'integer', notNull)
        .addColumn('run_after', 'text', notNull)
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .addColumn('cancel_requested', 'integer', notNull)
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addColumn('finished_at', 'text')
        .execute();
      // Claims look for due queued jobs and expired running ones of a kind.
      await db.schema.createIndex('jobs_claim').on('jobs').columns(['kind', 'status', 'run_after']).execute();
      // The API lists newest first, filtered by status; retention deletes by status and age.
      await db.schema.createIndex('jobs_status').on('jobs').columns(['status', 'id']).execute();

      await db.schema
        .createTable('recurring_jobs')
        .addColumn('kind', 'text', (c) => c.primaryKey())
        .addColumn('every_seconds', 'integer', notNull)
        .addColumn('next_run_at', 'text', notNull)
        .execute();
    },
  };
}
