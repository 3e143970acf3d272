/**
 * All SQL of the metrics rollups. Column lists are built from migration.ts's constants, so the
 * writes, the hour roll-up and the reads can never disagree about a column.
 */
import { type RawBuilder, sql } from 'kysely';
import { toNumber } from '../db/codecs.ts';
import type { Db, Dialect } from '../db/database.ts';
import type { RollupFigures, RollupKey, RollupRow, ScoreRow } from './aggregate.ts';
import {
  HISTOGRAM_COLUMNS,
  ROLLUP_KEY_COLUMNS,
  ROLLUP_SUM_COLUMNS,
  type RollupGrain,
  SCORE_KEY_COLUMNS,
  SCORE_SUM_COLUMNS,
  SCORE_TABLE,
  SPAN_TABLE,
} from './migration.ts';

/** Rows per insert statement: 109 parameters a row stays under SQLite's 32 766 and PostgreSQL's 65 535. */
const ROWS_PER_STATEMENT = 150;

const SPAN_COLUMNS = [...ROLLUP_KEY_COLUMNS, ...ROLLUP_SUM_COLUMNS, ...HISTOGRAM_COLUMNS];
const SCORE_COLUMNS = [...SCORE_KEY_COLUMNS, ...SCORE_SUM_COLUMNS];

const ids = (columns: readonly string[]) => sql.join(columns.map((c) => sql.ref(c)));

function keyValues(row: RollupKey): unknown[] {
  return [row.projectId, row.prompt, row.bucket, row.environment, row.version, row.provider, row.model];
}

function spanValues(row: RollupRow): unknown[] {
  return [
    ...keyValues(row),
    row.count,
    row.errors,
    row.inputTokens,
    row.outputTokens,
    row.cachedTokens,
    row.costN,
    row.costSum,
    row.costSq,
    row.latencySum,
    row.latencySq,
    row.contractChecked,
    row.contractViolations,
    ...row.histogram,
  ];
}

/** `x = <table>.x + excluded.x` for each additive column: a conflicting row adds instead of failing. */
function addOnConflict(table: string, columns: readonly string[]): RawBuilder<unknown> {
  return sql.join(
    columns.map((c) => sql`${sql.ref(c)} = ${sql.ref(`${table}.${c}`)} + ${sql.ref(`excluded.${c}`)}`),
  );
}

const quote = (name: string) => `"${name}"`;

/**
 * The fixed text around the values of the span upsert, built once: composing ~200 identifiers
 * and expressions per call cost more than the write itself.
 */
const SPAN_UPSERT = Object.fromEntries(
  (['minute', 'hour'] as const).map((grain) => {
    const table = SPAN_TABLE[grain];
    const updates = [...ROLLUP_SUM_COLUMNS, ...HISTOGRAM_COLUMNS]
      .map((c) => `${quote(c)} = ${quote(table)}.${quote(c)} + excluded.${quote(c)}`)
      .join(', ');
    return [
      grain,
      {
        head: sql.raw(`insert into ${quote(table)} (${SPAN_COLUMNS.map(quote).join(', ')}) values `),
        tail: sql.raw(` on conflict (${ROLLUP_KEY_COLUMNS.map(quote).join(', ')}) do update set ${updates}`),
      },
    ];
  }),
) as Record<RollupGrain, { head: RawBuilder<unknown>; tail: RawBuilder<unknown> }>;

/** `sum(x) as x` for each additive column. */
const sums = (columns: readonly string[]) =>
  sql.join(columns.map((c) => sql`sum(${sql.ref(c)}) as ${sql.ref(c)}`));

/** A row of summed figures as read back (drivers give bigint sums as text). */
export interface FiguresRow extends RollupFigures {
  /** 0 when the read groups by prompt only. */
  version: number;
  /** The prompt, when the read groups by prompt ('' otherwise, and for spans naming none). */
  prompt: string;
  /** Start of the interval, epoch minutes. */
  t: number;
}

export interface ScoreSumRow {
  version: number;
  prompt: string;
  t: number;
  name: string;
  value: string;
  count: number;
  sum: number;
  sumSq: number;
}

export interface RollupRange {
  projectId: number;
  /** One prompt; undefined for every prompt of the project together (alert rules on a project). */
  prompt: string | undefined;
  /** '' for spans without one; undefined for all environments together. */
  environment: string | undefined;
  /** Epoch minutes, [from, to). */
  from: number;
  to: number;
  /** Width of a result row in minutes (a divisor of the bucket grid), or null for one row per version. */
  step: number | null;
  /** Only these versions (undefined: all). */
  versions?: readonly number[];
  /**
   * What a row is per, besides the interval: `version` (the default: one prompt's versions),
   * `prompt` (every prompt, its versions together) or `prompt-version`.
   */
  group?: 'version' | 'prompt' | 'prompt-version';
  /** false: leave the histogram columns out (a read that needs sums only; histograms come back empty). */
  histogram?: boolean;
}

const GROUP_COLUMNS = { version: ['version'], prompt: ['prompt'], 'prompt-version': ['prompt', 'version'] };

/** The grouping columns of a read, and `group by` naming them and the interval by position. */
function grouping(range: RollupRange, extra: number) {
  const columns = GROUP_COLUMNS[range.group ?? 'version'];
  const positions = Array.from({ length: columns.length + 1 + extra }, (_, i) => sql.lit(i + 1));
  return { select: ids(columns), groupBy: sql.join(positions) };
}

function rangeFilter(range: RollupRange) {
  return sql.join(
    [
      sql`project_id = ${range.projectId}`,
      ...(range.prompt === undefined ? [] : [sql`prompt = ${range.prompt}`]),
      sql`bucket >= ${range.from}`,
      sql`bucket < ${range.to}`,
      ...(range.environment === undefined ? [] : [sql`environment = ${range.environment}`]),
      ...(range.versions === undefined ? [] : [sql`version in (${sql.join([...range.versions])})`]),
    ],
    sql` and `,
  );
}

// The step is one of a few fixed widths, inlined as a literal: PostgreSQL must see the same
// expression in `select` and `group by`, which two parameters would not be.
const interval = (range: RollupRange) =>
  range.step === null ? sql`0` : sql`(bucket / ${sql.lit(range.step)}) * ${sql.lit(range.step)}`;

function toFigures(row: Record<string, unknown>): FiguresRow {
  return {
    version: toNumber(row.version ?? 0),
    prompt: typeof row.prompt === 'string' ? row.prompt : '',
    t: toNumber(row.t),
    count: toNumber(row.count),
    errors: toNumber(row.errors),
    inputTokens: toNumber(row.input_tokens),
    outputTokens: toNumber(row.output_tokens),
    cachedTokens: toNumber(row.cached_tokens),
    costN: toNumber(row.cost_n),
    costSum: toNumber(row.cost_sum),
    costSq: toNumber(row.cost_sq),
    latencySum: toNumber(row.latency_sum),
    latencySq: toNumber(row.latency_sq),
    contractChecked: toNumber(row.contract_checked),
    contractViolations: toNumber(row.contract_violations),
    histogram: HISTOGRAM_COLUMNS.map((c) => (c in row ? toNumber(row[c]) : 0)),
  };
}

/** SQL of the rollups. */
export function createMetricStore(dialect: Dialect) {
  return {
    /**
     * The hour roll-up watermark (epoch minutes): hours before it are in the hour tables. Ingestion
     * reads it with a shared lock, so the roll-up (exclusive) either sees its minute rows or is
     * seen to have run, and a late span lands in the hour table itself.
     */
    async rolledUntil(db: Db, lock: 'share' | 'update' | 'none'): Promise<number> {
      const suffix = dialect === 'postgres' && lock !== 'none' ? sql.raw(` for ${lock}`) : sql``;
      const result = await sql<{
        rolled_until: unknown;
      }>`select rolled_until from metric_rollup_state where id = 1${suffix}`.execute(db);
      return toNumber(result.rows[0]?.rolled_until ?? 0);
    },

    async setRolledUntil(db: Db, bucket: number): Promise<void> {
      await sql`update metric_rollup_state set rolled_until = ${bucket} where id = 1`.execute(db);
    },

    /** Adds span rollup rows (in key order, one row per key) to the table of `grain`. */
    async addSpans(db: Db, grain: RollupGrain, rows: readonly RollupRow[]): Promise<void> {
      const { head, tail } = SPAN_UPSERT[grain];
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
        const values = sql.join(chunk.map((row) => sql`(${sql.join(spanValues(row))})`));
        await sql`${head}${values}${tail}`.execute(db);
      }
    },

    /** Adds one score rollup row to the table of `grain`. */
    async addScore(db: Db, grain: RollupGrain, row: ScoreRow): Promise<void> {
      const table = SCORE_TABLE[grain];
      const values = [...keyValues(row), row.name, row.value, row.count, row.sum, row.sumSq];
      await sql`insert into ${sql.table(table)} (${ids(SCORE_COLUMNS)}) values (${sql.join(values)})
        on conflict (${ids(SCORE_KEY_COLUMNS)}) do update set ${addOnConflict(table, SCORE_SUM_COLUMNS)}`.execute(
        db,
      );
    },

    /** The first minute bucket at or after `from` (epoch minutes), or null when there is none. */
    async firstMinuteFrom(db: Db, from: number): Promise<number | null> {
      const result = await sql<{
        first: unknown;
      }>`select min(bucket) as first from metric_minute where bucket >= ${from}`.execute(db);
      const first = result.rows[0]?.first;
      return first === null || first === undefined ? null : toNumber(first);
    },

    /**
     * Sums the minute rows of [from, to) (hour-aligned) into hour rows. Those hours have no hour
     * rows yet (they are at or past the watermark), so this only inserts.
     */
    async rollHours(db: Db, from: number, to: number): Promise<void> {
      const hour = sql`(bucket / 60) * 60`;
      const keys = sql.join([
        sql.ref('project_id'),
        sql.ref('prompt'),
        hour,
        ...['environment', 'version', 'provider', 'model'].map((c) => sql.ref(c)),
      ]);
      const spanSums = [...ROLLUP_SUM_COLUMNS, ...HISTOGRAM_COLUMNS];
      await sql`insert into metric_hour (${ids(SPAN_COLUMNS)})
        select ${keys}, ${sql.join(spanSums.map((c) => sql`sum(${sql.ref(c)})`))}
        from metric_minute where bucket >= ${from} and bucket < ${to}
        group by 1, 2, 3, 4, 5, 6, 7`.execute(db);
      await sql`insert into metric_score_hour (${ids(SCORE_COLUMNS)})
        select ${keys}, name, value, ${sql.join(SCORE_SUM_COLUMNS.map((c) => sql`sum(${sql.ref(c)})`))}
        from metric_score_minute where bucket >= ${from} and bucket < ${to}
        group by 1, 2, 3, 4, 5, 6, 7, 8, 9`.execute(db);
    },

    /** Span figures over a range, summed per interval and `range.group` (default: per version). */
    async readSpans(db: Db, grain: RollupGrain, range: RollupRange): Promise<FiguresRow[]> {
      if (range.from >= range.to || range.versions?.length === 0) return [];
      const columns =
        range.histogram === false ? ROLLUP_SUM_COLUMNS : [...ROLLUP_SUM_COLUMNS, ...HISTOGRAM_COLUMNS];
      const { select, groupBy } = grouping(range, 0);
      const result = await sql<Record<string, unknown>>`
        select ${select}, ${interval(range)} as t, ${sums(columns)}
        from ${sql.table(SPAN_TABLE[grain])} where ${rangeFilter(range)}
        group by ${groupBy}`.execute(db);
      return result.rows.map(toFigures);
    },

    /** Score sums over a range, per interval, `range.group`, name and categorical value. */
    async readScores(db: Db, grain: RollupGrain, range: RollupRange): Promise<ScoreSumRow[]> {
      if (range.from >= range.to || range.versions?.length === 0) return [];
      const { select, groupBy } = grouping(range, 2);
      const result = await sql<Record<string, unknown>>`
        select ${select}, ${interval(range)} as t, name, value, ${sums(SCORE_SUM_COLUMNS)}
        from ${sql.table(SCORE_TABLE[grain])} where ${rangeFilter(range)}
        group by ${groupBy}`.execute(db);
      return result.rows.map((row) => ({
        version: toNumber(row.version ?? 0),
        prompt: typeof row.prompt === 'string' ? row.prompt : '',
        t: toNumber(row.t),
        name: String(row.name),
        value: String(row.value),
        count: toNumber(row.count),
        sum: toNumber(row.sum),
        sumSq: toNumber(row.sum_sq),
      }));
    },

    /** Projects whose rollups are kept for other than the default, with their days. */
    async retentionOverrides(db: Db): Promise<{ projectId: number; days: number }[]> {
      const result = await sql<{
        project_id: unknown;
        retention_days: unknown;
      }>`select project_id, retention_days from metric_settings`.execute(db);
      return result.rows.map((r) => ({
        projectId: toNumber(r.project_id),
        days: toNumber(r.retention_days),
      }));
    },

    async retentionDays(db: Db, projectId: number): Promise<number | null> {
      const result = await sql<{
        retention_days: unknown;
      }>`select retention_days from metric_settings where project_id = ${projectId}`.execute(db);
      const days = result.rows[0]?.retention_days;
      return days === undefined ? null : toNumber(days);
    },

    async setRetentionDays(db: Db, projectId: number, days: number, at: string): Promise<void> {
      await sql`insert into metric_settings (project_id, retention_days, updated_at) values (${projectId}, ${days}, ${at})
        on conflict (project_id) do update set retention_days = excluded.retention_days, updated_at = excluded.updated_at`.execute(
        db,
      );
    },

    /**
     * Deletes the rows of `grain` older than `before` (epoch minutes): of one project, or (null) of
     * every project without a retention of its own.
     */
    async deleteBefore(db: Db, grain: RollupGrain, projectId: number | null, before: number): Promise<void> {
      const whose =
        projectId === null
          ? sql`project_id not in (select project_id from metric_settings)`
          : sql`project_id = ${projectId}`;
      for (const table of [SPAN_TABLE[grain], SCORE_TABLE[grain]]) {
        await sql`delete from ${sql.table(table)} where bucket < ${before} and ${whose}`.execute(db);
      }
    },
  };
}

export type MetricStore = ReturnType<typeof createMetricStore>;
