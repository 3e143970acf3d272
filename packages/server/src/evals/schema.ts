/**
 * Tables of eval runs, their results and quality thresholds, and the migration part that creates
 * them. The store reaches them with `db.withTables<EvalTables>()`, so the shared schema file stays
 * untouched. (Datasets own their tables: ../datasets/migration.ts.)
 */
import { type Generated, type Kysely, type Migration, sql } from 'kysely';
import type { Db, Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

export interface EvalRunsTable {
  id: Generated<number>;
  project_id: number;
  prompt: string | null;
  source: string;
  status: string;
  /** The frozen request (versions resolved to numbers, dataset revision resolved). */
  spec: string;
  dataset: string | null;
  dataset_revision: number | null;
  total: number;
  done: number;
  passed: number;
  failed: number;
  errors: number;
  cost_usd: number;
  summary: string | null;
  thresholds: string | null;
  thresholds_met: number | null;
  baseline_run_id: number | null;
  comparison: string | null;
  error: string | null;
  cancel_requested: number;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Written with every progress update (liveness is the job lease's business: see ../jobs). */
  heartbeat_at: string;
}

export interface EvalResultsTable {
  id: Generated<number>;
  run_id: number;
  case_index: number;
  item_id: number | null;
  repeat_index: number;
  version: number | null;
  prompt_label: string;
  model: string;
  /** Identity across runs of the same case: item id (or the runner's case key) | model | repeat. */
  case_key: string;
  description: string | null;
  vars: string;
  output: string;
  error: string | null;
  pass: number;
  score: number;
  reason: string;
  latency_ms: number;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
  cached: number;
  assertions: string;
}

export interface PromptThresholdsTable {
  id: Generated<number>;
  project_id: number;
  prompt_id: number;
  thresholds: string;
  updated_by: string;
  updated_at: string;
}

/** The tables this feature adds (a type alias: `withTables` needs an index-compatible record). */
export type EvalTables = {
  eval_runs: EvalRunsTable;
  eval_results: EvalResultsTable;
  prompt_thresholds: PromptThresholdsTable;
};

/** The database handle with this feature's tables typed. */
export function evalDb(db: Db) {
  return db.withTables<EvalTables>();
}

/**
 * Eval runs with their results, and per-prompt thresholds: the second half of the shipped
 * migration `0010_datasets_and_evals` (after the datasets' tables, unchanged).
 */
export function evalTablesMigration(dialect: Dialect): Migration {
  // "double precision" is REAL affinity on SQLite and a float8 on PostgreSQL.
  const real = 'double precision';
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('eval_runs'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt', 'text')
        .addColumn('source', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('spec', 'text', notNull)
        .addColumn('dataset', 'text')
        .addColumn('dataset_revision', 'integer')
        .addColumn('total', 'integer', notNull)
        .addColumn('done', 'integer', notNull)
        .addColumn('passed', 'integer', notNull)
        .addColumn('failed', 'integer', notNull)
        .addColumn('errors', 'integer', notNull)
        .addColumn('cost_usd', real, notNull)
        .addColumn('summary', 'text')
        .addColumn('thresholds', 'text')
        .addColumn('thresholds_met', 'integer')
        .addColumn('baseline_run_id', 'integer')
        .addColumn('comparison', 'text')
        .addColumn('error', 'text')
        .addColumn('cancel_requested', 'integer', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('heartbeat_at', 'text', notNull)
        .execute();
      await db.schema
        .createIndex('eval_runs_project')
        .on('eval_runs')
        .columns(['project_id', 'id'])
        .execute();
      await db.schema.createIndex('eval_runs_status').on('eval_runs').columns(['status']).execute();

      await withId(db.schema.createTable('eval_results'), dialect)
        .addColumn('run_id', 'integer', (c) => c.notNull().references('eval_runs.id').onDelete('cascade'))
        .addColumn('case_index', 'integer', notNull)
        .addColumn('item_id', 'integer')
        .addColumn('repeat_index', 'integer', notNull)
        .addColumn('version', 'integer')
        .addColumn('prompt_label', 'text', notNull)
        .addColumn('model', 'text', notNull)
        .addColumn('case_key', 'text', notNull)
        .addColumn('description', 'text')
        .addColumn('vars', 'text', notNull)
        .addColumn('output', 'text', notNull)
        .addColumn('error', 'text')
        .addColumn('pass', 'integer', notNull)
        .addColumn('score', real, notNull)
        .addColumn('reason', 'text', notNull)
        .addColumn('latency_ms', real, notNull)
        .addColumn('input_tokens', 'integer')
        .addColumn('output_tokens', 'integer')
        .addColumn('cost_usd', real)
        .addColumn('cached', 'integer', notNull)
        .addColumn('assertions', 'text', notNull)
        .execute();
      // Results are paged by id within a run (and streamed to SSE clients by "id greater than").
      await db.schema.createIndex('eval_results_run').on('eval_results').columns(['run_id', 'id']).execute();

      await withId(db.schema.createTable('prompt_thresholds'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('prompt_id', 'integer', (c) => c.notNull().references('prompts.id').unique())
        .addColumn('thresholds', 'text', notNull)
        .addColumn('updated_by', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .execute();
    },
  };
}

/**
 * Runs left queued or running by a server from before the job runner had no job to execute them
 * (that server failed them as "interrupted" at its next start). Each gets its `eval.run` job, so
 * the upgraded server resumes them.
 */
export function evalRunJobsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const now = new Date().toISOString();
      await sql`
        insert into jobs (kind, key, project_id, payload, status, attempts, max_attempts, run_after,
          lease_owner, lease_expires_at, cancel_requested, last_error, created_at, updated_at, finished_at)
        select 'eval.run', 'eval.run:' || r.id, r.project_id,
          '{"projectId":' || r.project_id || ',"runId":' || r.id || '}',
          'queued', 0, 3, ${now}, null, null, 0, null, ${now}, ${now}, null
        from eval_runs r
        where r.status in ('queued', 'running')
          and not exists (select 1 from jobs j where j.key = 'eval.run:' || r.id)
      `.execute(db);
    },
  };
}
