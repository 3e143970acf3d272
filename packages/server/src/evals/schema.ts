/**
 * Tables of datasets, eval runs and quality thresholds, and the migration that creates them. The
 * stores reach them with `db.withTables<EvalTables>()`, so the shared schema file stays untouched.
 */
import type { Generated, Kysely, Migration } from 'kysely';
import type { Db, Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

export interface DatasetsTable {
  id: Generated<number>;
  project_id: number;
  name: string;
  description: string;
  /** Bumped by every change to the items; 0 for a new, empty dataset. */
  revision: number;
  /** Next per-dataset item id (ids are never reused, so a deleted item's id stays unambiguous). */
  next_item_id: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/**
 * One revision of one item. The item as of dataset revision N is the row with
 * `valid_from <= N < coalesce(valid_to, ∞)`; an edit closes the current row and opens a new one.
 */
export interface DatasetItemsTable {
  id: Generated<number>;
  dataset_id: number;
  item_id: number;
  valid_from: number;
  valid_to: number | null;
  variables: string;
  expected: string | null;
  metadata: string;
  source_trace_id: string | null;
  created_at: string;
}

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
  /** Written while a run makes progress; a run whose heartbeat is stale was orphaned by a dead server. */
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
  datasets: DatasetsTable;
  dataset_items: DatasetItemsTable;
  eval_runs: EvalRunsTable;
  eval_results: EvalResultsTable;
  prompt_thresholds: PromptThresholdsTable;
};

/** The database handle with this feature's tables typed. */
export function evalDb(db: Db) {
  return db.withTables<EvalTables>();
}

/** Datasets (revisioned items), eval runs with their results, and per-prompt thresholds. */
export function datasetsAndEvalsMigration(dialect: Dialect): Migration {
  // "double precision" is REAL affinity on SQLite and a float8 on PostgreSQL.
  const real = 'double precision';
  return {
    async up(db: Kysely<unknown>) {
      await withId(db.schema.createTable('datasets'), dialect)
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', notNull)
        .addColumn('description', 'text', notNull)
        .addColumn('revision', 'integer', notNull)
        .addColumn('next_item_id', 'integer', notNull)
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .addColumn('updated_at', 'text', notNull)
        .addUniqueConstraint('datasets_project_name_unique', ['project_id', 'name'])
        .execute();

      await withId(db.schema.createTable('dataset_items'), dialect)
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('item_id', 'integer', notNull)
        .addColumn('valid_from', 'integer', notNull)
        .addColumn('valid_to', 'integer')
        .addColumn('variables', 'text', notNull)
        .addColumn('expected', 'text')
        .addColumn('metadata', 'text', notNull)
        .addColumn('source_trace_id', 'text')
        .addColumn('created_at', 'text', notNull)
        .execute();
      // Current items and "items at revision N" both scan one dataset in item order.
      await db.schema
        .createIndex('dataset_items_lookup')
        .on('dataset_items')
        .columns(['dataset_id', 'item_id', 'valid_from'])
        .execute();

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
