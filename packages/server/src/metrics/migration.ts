/**
 * The metrics rollups, owned by this feature. Minute and hour tables have the same shape: one row
 * per project × prompt × version × environment × provider × model × bucket, with additive columns
 * only (counts, sums, sums of squares, one count per latency bucket), so a batch of spans is one
 * `insert … on conflict do update set x = x + excluded.x` per row on both dialects, and any set of
 * rows adds up to the figures of the spans behind them.
 *
 * Storage choices:
 * - `bucket` is the start of the minute (or hour) in epoch minutes, an integer: it compares, groups
 *   (`bucket / 60 * 60`) and indexes the same on both dialects, and fits a PostgreSQL `integer`.
 * - A missing prompt, environment, provider or model is '' and a missing version 0, never NULL:
 *   NULLs are distinct in a unique key, so `on conflict` would never match their rows.
 * - The histogram is one integer column per bucket (`h0`…`h89`) rather than a bucket table: a
 *   row read is the whole histogram, the upsert stays one statement, and a bucket table would
 *   multiply the rows a 7-day read scans by the number of non-empty buckets.
 * - No foreign key to projects: rows are derived data, and the check would cost every upsert.
 */

import { LATENCY_BUCKET_COUNT } from '@promptline/core';
import { type CreateTableBuilder, type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { notNull } from '../db/ddl.ts';

/** Histogram column names, in bucket order. */
export const HISTOGRAM_COLUMNS: readonly string[] = Array.from(
  { length: LATENCY_BUCKET_COUNT },
  (_, i) => `h${i}`,
);

/** Columns naming a rollup row's group (the primary key, bucket included). */
export const ROLLUP_KEY_COLUMNS = [
  'project_id',
  'prompt',
  'bucket',
  'environment',
  'version',
  'provider',
  'model',
] as const;

/** Additive figures the first rollup migration created (frozen: later columns come with their own migration). */
const BASE_SUM_COLUMNS = [
  'count',
  'errors',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'cost_n',
  'cost_sum',
  'cost_sq',
  'latency_sum',
  'latency_sq',
] as const;

/** Output contract checks of spans (migration 0441_metric_contracts). */
export const CONTRACT_SUM_COLUMNS = ['contract_checked', 'contract_violations'] as const;

/** Additive figures of a span rollup row, histogram excluded. */
export const ROLLUP_SUM_COLUMNS = [...BASE_SUM_COLUMNS, ...CONTRACT_SUM_COLUMNS] as const;

/** A score rollup row's group: the span group plus the score name and (categorical) value. */
export const SCORE_KEY_COLUMNS = [...ROLLUP_KEY_COLUMNS, 'name', 'value'] as const;
export const SCORE_SUM_COLUMNS = ['count', 'sum', 'sum_sq'] as const;

export type RollupGrain = 'minute' | 'hour';
export const SPAN_TABLE: Record<RollupGrain, string> = { minute: 'metric_minute', hour: 'metric_hour' };
export const SCORE_TABLE: Record<RollupGrain, string> = {
  minute: 'metric_score_minute',
  hour: 'metric_score_hour',
};

/** Bigint where a sum can outgrow 2^31 in an hour (tokens); doubles for money and milliseconds. */
const SUM_TYPES: Record<(typeof BASE_SUM_COLUMNS)[number], 'integer' | 'bigint' | 'double precision'> = {
  count: 'integer',
  errors: 'integer',
  input_tokens: 'bigint',
  output_tokens: 'bigint',
  cached_tokens: 'bigint',
  cost_n: 'integer',
  cost_sum: 'double precision',
  cost_sq: 'double precision',
  latency_sum: 'double precision',
  latency_sq: 'double precision',
};

function keyColumns<T extends string>(table: CreateTableBuilder<T, never>) {
  return table
    .addColumn('project_id', 'integer', notNull)
    .addColumn('prompt', 'text', notNull)
    .addColumn('bucket', 'integer', notNull)
    .addColumn('environment', 'text', notNull)
    .addColumn('version', 'integer', notNull)
    .addColumn('provider', 'text', notNull)
    .addColumn('model', 'text', notNull);
}

/** Minute and hour rollups of spans and scores, the hour roll-up watermark and per-project retention. */
export function metricTablesMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const grain of ['minute', 'hour'] as const) {
        const spanTable = SPAN_TABLE[grain];
        let table = keyColumns(db.schema.createTable(spanTable));
        for (const column of BASE_SUM_COLUMNS) table = table.addColumn(column, SUM_TYPES[column], notNull);
        for (const column of HISTOGRAM_COLUMNS) table = table.addColumn(column, 'integer', notNull);
        // Reads are "one prompt of one project over a time range": the key leads with them.
        await table.addPrimaryKeyConstraint(`${spanTable}_pk`, [...ROLLUP_KEY_COLUMNS]).execute();
        // The hour roll-up and retention select by time across projects.
        await db.schema.createIndex(`${spanTable}_bucket`).on(spanTable).column('bucket').execute();

        const scoreTable = SCORE_TABLE[grain];
        await keyColumns(db.schema.createTable(scoreTable))
          .addColumn('name', 'text', notNull)
          .addColumn('value', 'text', notNull)
          .addColumn('count', 'integer', notNull)
          .addColumn('sum', 'double precision', notNull)
          .addColumn('sum_sq', 'double precision', notNull)
          .addPrimaryKeyConstraint(`${scoreTable}_pk`, [...SCORE_KEY_COLUMNS])
          .execute();
        await db.schema.createIndex(`${scoreTable}_bucket`).on(scoreTable).column('bucket').execute();
      }

      // Hours before `rolled_until` (epoch minutes) are in the hour tables; one row, locked by the
      // roll-up (exclusive) and by ingestion (shared) so a late span is never missed by both.
      await db.schema
        .createTable('metric_rollup_state')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('rolled_until', 'integer', notNull)
        .execute();
      await sql`insert into metric_rollup_state (id, rolled_until) values (1, 0)`.execute(db);

      await db.schema
        .createTable('metric_settings')
        .addColumn('project_id', 'integer', (c) => c.primaryKey().references('projects.id'))
        .addColumn('retention_days', 'integer', notNull)
        .addColumn('updated_at', 'text', notNull)
        .execute();
    },
  };
}

/**
 * Counts of output contract checks per rollup row. Existing rows get 0: spans stored before had no
 * verdict, so "nothing checked" is their truth.
 */
export function metricContractsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const table of Object.values(SPAN_TABLE)) {
        for (const column of CONTRACT_SUM_COLUMNS) {
          await db.schema
            .alterTable(table)
            .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
            .execute();
        }
      }
    },
  };
}
