/**
 * The traces feature's tables: spans (append-only, on PostgreSQL partitioned by start time), one
 * summary row per trace (what the trace list reads), scores, and per-project settings.
 *
 * Span times are integer epoch milliseconds rather than the ISO text used elsewhere: PostgreSQL
 * range-partitions on them and every retention and list query compares them, which integers do
 * the same way on both dialects without parsing.
 */
import { type Generated, type Kysely, type Migration, sql } from 'kysely';
import type { Db, Dialect } from '../db/database.ts';
import { notNull, withId } from '../db/ddl.ts';

export interface SpansTable {
  project_id: number;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  /** Epoch ms, floored: the partition key on PostgreSQL. */
  start_ms: number | string;
  end_ms: number | string;
  /** Exact duration (ms, fractional) from the times as sent. */
  duration_ms: number;
  status: string;
  status_message: string | null;
  prompt_name: string | null;
  prompt_version: number | null;
  environment: string | null;
  variant: number | null;
  unit: string | null;
  provider: string | null;
  model: string | null;
  input_tokens: number | string | null;
  output_tokens: number | string | null;
  cached_input_tokens: number | string | null;
  reasoning_tokens: number | string | null;
  usage_estimated: number | null;
  cost_usd: number | null;
  cost_computed: number;
  ttft_ms: number | null;
  /** JSON text (see db/schema.ts), null when absent. */
  input: string | null;
  output: string | null;
  variables: string | null;
  attributes: string | null;
  user_id: string | null;
  session_id: string | null;
  source: string;
  received_at: string;
  /** Output contract verdict at ingest: 1 broke it, 0 met it, null not checked (0440_span_contracts). */
  contract_violation: number | null;
  /** The first thing that broke the contract (redacted like the output), null otherwise. */
  contract_message: string | null;
}

/**
 * One row per trace, maintained on every ingest from the spans actually inserted: the trace list
 * pages over it instead of grouping raw spans.
 */
export interface TracesTable {
  project_id: number;
  trace_id: string;
  /** Earliest start and latest end over the trace's spans (epoch ms). */
  start_ms: number | string;
  end_ms: number | string;
  /** The span that represents the trace: its root (no parent) if seen, else the earliest span. */
  root_span_id: string;
  root_name: string;
  root_start_ms: number | string;
  has_root: number;
  span_count: number | string;
  error_count: number | string;
  input_tokens: number | string;
  output_tokens: number | string;
  cost_usd: number | null;
  /** The first prompt link, model, user and session that arrived for the trace. */
  prompt_name: string | null;
  prompt_version: number | null;
  environment: string | null;
  model: string | null;
  user_id: string | null;
  session_id: string | null;
}

export interface ScoresTable {
  id: Generated<number>;
  project_id: number;
  trace_id: string;
  span_id: string;
  /** The start of the span the score counts for: retention removes it with the span. */
  span_start_ms: number | string;
  name: string;
  data_type: string;
  /** Numeric scores, and booleans as 0/1. */
  value_number: number | null;
  /** Categorical scores. */
  value_text: string | null;
  comment: string | null;
  source: string;
  created_at: string;
}

export interface TraceSettingsTable {
  project_id: number;
  span_retention_days: number;
  updated_at: string;
}

// A type alias, not an interface: withTables() needs the implicit index signature.
export type TraceTables = {
  spans: SpansTable;
  traces: TracesTable;
  scores: ScoresTable;
  trace_settings: TraceSettingsTable;
};

/** The database handle with this feature's tables typed. */
export const traceDb = (db: Db) => db.withTables<TraceTables>();

/** Spans, trace summaries, scores and trace settings. */
export function traceTablesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      let spans = db.schema
        .createTable('spans')
        .addColumn('project_id', 'integer', notNull)
        .addColumn('trace_id', 'text', notNull)
        .addColumn('span_id', 'text', notNull)
        .addColumn('parent_span_id', 'text')
        .addColumn('name', 'text', notNull)
        .addColumn('start_ms', 'bigint', notNull)
        .addColumn('end_ms', 'bigint', notNull)
        .addColumn('duration_ms', 'double precision', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('status_message', 'text')
        .addColumn('prompt_name', 'text')
        .addColumn('prompt_version', 'integer')
        .addColumn('environment', 'text')
        .addColumn('variant', 'integer')
        .addColumn('unit', 'text')
        .addColumn('provider', 'text')
        .addColumn('model', 'text')
        .addColumn('input_tokens', 'bigint')
        .addColumn('output_tokens', 'bigint')
        .addColumn('cached_input_tokens', 'bigint')
        .addColumn('reasoning_tokens', 'bigint')
        .addColumn('usage_estimated', 'integer')
        .addColumn('cost_usd', 'double precision')
        .addColumn('cost_computed', 'integer', notNull)
        .addColumn('ttft_ms', 'double precision')
        .addColumn('input', 'text')
        .addColumn('output', 'text')
        .addColumn('variables', 'text')
        .addColumn('attributes', 'text')
        .addColumn('user_id', 'text')
        .addColumn('session_id', 'text')
        .addColumn('source', 'text', notNull)
        .addColumn('received_at', 'text', notNull)
        // The partition key must be part of every unique key on PostgreSQL; a re-sent span has
        // the same start, so (trace, span, start) still catches an at-least-once sender's retry.
        .addPrimaryKeyConstraint('spans_pk', ['project_id', 'trace_id', 'span_id', 'start_ms']);
      // No foreign key to projects: a partitioned table's foreign keys cost every insert a lookup
      // and the spans of a deleted project go with retention anyway.
      if (dialect === 'postgres') spans = spans.modifyEnd(sql`partition by range (start_ms)`);
      await spans.execute();
      if (dialect === 'postgres') {
        // Whatever falls outside the daily partitions (clock skew, a far future timestamp) lands
        // here instead of failing the batch; the partition job moves rows out when it creates
        // their day.
        await sql`create table spans_default partition of spans default`.execute(db);
      }
      // Retention removes one project's old spans (and on SQLite, everyone's) by start time.
      await db.schema
        .createIndex('spans_project_start')
        .on('spans')
        .columns(['project_id', 'start_ms'])
        .execute();

      await db.schema
        .createTable('traces')
        .addColumn('project_id', 'integer', notNull)
        .addColumn('trace_id', 'text', notNull)
        .addColumn('start_ms', 'bigint', notNull)
        .addColumn('end_ms', 'bigint', notNull)
        .addColumn('root_span_id', 'text', notNull)
        .addColumn('root_name', 'text', notNull)
        .addColumn('root_start_ms', 'bigint', notNull)
        .addColumn('has_root', 'integer', notNull)
        .addColumn('span_count', 'bigint', notNull)
        .addColumn('error_count', 'bigint', notNull)
        .addColumn('input_tokens', 'bigint', notNull)
        .addColumn('output_tokens', 'bigint', notNull)
        .addColumn('cost_usd', 'double precision')
        .addColumn('prompt_name', 'text')
        .addColumn('prompt_version', 'integer')
        .addColumn('environment', 'text')
        .addColumn('model', 'text')
        .addColumn('user_id', 'text')
        .addColumn('session_id', 'text')
        .addPrimaryKeyConstraint('traces_pk', ['project_id', 'trace_id'])
        .execute();
      // The list pages newest first: (start, trace id) is the cursor. The filters with many
      // distinct values get their own index; status, environment and model filter that scan.
      await db.schema
        .createIndex('traces_list')
        .on('traces')
        .columns(['project_id', 'start_ms', 'trace_id'])
        .execute();
      await db.schema
        .createIndex('traces_prompt')
        .on('traces')
        .columns(['project_id', 'prompt_name', 'prompt_version', 'start_ms'])
        .execute();
      await db.schema
        .createIndex('traces_user')
        .on('traces')
        .columns(['project_id', 'user_id', 'start_ms'])
        .execute();
      await db.schema
        .createIndex('traces_session')
        .on('traces')
        .columns(['project_id', 'session_id', 'start_ms'])
        .execute();

      await withId(db.schema.createTable('scores'), dialect)
        .addColumn('project_id', 'integer', notNull)
        .addColumn('trace_id', 'text', notNull)
        .addColumn('span_id', 'text', notNull)
        .addColumn('span_start_ms', 'bigint', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('data_type', 'text', notNull)
        .addColumn('value_number', 'double precision')
        .addColumn('value_text', 'text')
        .addColumn('comment', 'text')
        .addColumn('source', 'text', notNull)
        .addColumn('created_at', 'text', notNull)
        .execute();
      await db.schema.createIndex('scores_trace').on('scores').columns(['project_id', 'trace_id']).execute();
      await db.schema
        .createIndex('scores_span_start')
        .on('scores')
        .columns(['project_id', 'span_start_ms'])
        .execute();

      await db.schema
        .createTable('trace_settings')
        .addColumn('project_id', 'integer', (c) => c.primaryKey().references('projects.id'))
        .addColumn('span_retention_days', 'integer', notNull)
        .addColumn('updated_at', 'text', notNull)
        .execute();
    },
  };
}

/** The output contract verdict of each span (null on spans stored before: not checked). */
export function spanContractsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // On PostgreSQL the partitioned parent passes the columns to every partition.
      await db.schema.alterTable('spans').addColumn('contract_violation', 'integer').execute();
      await db.schema.alterTable('spans').addColumn('contract_message', 'text').execute();
    },
  };
}
