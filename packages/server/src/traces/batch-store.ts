/**
 * The two statements of the ingest hot path — insert a batch of spans, merge the batch's trace
 * summaries — as SQL text written once and run with plain parameters. Composing a 500-row ×
 * 35-column insert through Kysely's query builder (a node per value, frozen, visited, compiled)
 * cost 13 µs of CPU a span on SQLite. The text is fixed per dialect (and, on SQLite, per row
 * count), so SQLite's statement cache and PostgreSQL's parser see the same statement every batch.
 * PostgreSQL receives the batch as one JSON parameter (see `fromJson`).
 */
import { CompiledQuery } from 'kysely';
import { toNumber } from '../db/codecs.ts';
import type { Db, Dialect } from '../db/database.ts';
import type { SpansTable, TracesTable } from './migration.ts';

/** The key of a span row that an insert actually wrote (not a duplicate). */
export interface InsertedSpanKey {
  traceId: string;
  spanId: string;
  startMs: number;
}

// Columns in table order.
const SPAN_COLUMNS: readonly (keyof SpansTable)[] = [
  'project_id',
  'trace_id',
  'span_id',
  'parent_span_id',
  'name',
  'start_ms',
  'end_ms',
  'duration_ms',
  'status',
  'status_message',
  'prompt_name',
  'prompt_version',
  'environment',
  'variant',
  'unit',
  'provider',
  'model',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'reasoning_tokens',
  'usage_estimated',
  'cost_usd',
  'cost_computed',
  'ttft_ms',
  'input',
  'output',
  'variables',
  'attributes',
  'user_id',
  'session_id',
  'source',
  'received_at',
  'contract_violation',
  'contract_message',
];

const TRACE_COLUMNS: readonly (keyof TracesTable)[] = [
  'project_id',
  'trace_id',
  'start_ms',
  'end_ms',
  'root_span_id',
  'root_name',
  'root_start_ms',
  'has_root',
  'span_count',
  'error_count',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'prompt_name',
  'prompt_version',
  'environment',
  'model',
  'user_id',
  'session_id',
];

// 35 parameters a row: 500 rows stay below SQLite's 32 766 bound parameters.
const SPAN_CHUNK = 500;
// 19 parameters a row.
const TRACE_CHUNK = 1_000;

const names = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(', ');

// The incoming summary represents the trace better: it is a root and the stored one is not, or it
// is as much a root and starts earlier.
const TAKE_ROOT =
  '(excluded.has_root > traces.has_root or (excluded.has_root = traces.has_root and excluded.root_start_ms < traces.root_start_ms))';
// The prompt link is kept whole: name, version and environment of the same span.
const TAKE_PROMPT = '(traces.prompt_name is null)';
const pick = (take: string, column: string) =>
  `"${column}" = case when ${take} then excluded.${column} else traces.${column} end`;

/** How a stored trace row takes in the summary of newly written spans of the same trace. */
const TRACE_MERGE = `on conflict ("project_id", "trace_id") do update set ${[
  '"start_ms" = case when excluded.start_ms < traces.start_ms then excluded.start_ms else traces.start_ms end',
  '"end_ms" = case when excluded.end_ms > traces.end_ms then excluded.end_ms else traces.end_ms end',
  pick(TAKE_ROOT, 'root_span_id'),
  pick(TAKE_ROOT, 'root_name'),
  pick(TAKE_ROOT, 'root_start_ms'),
  '"has_root" = case when excluded.has_root > traces.has_root then excluded.has_root else traces.has_root end',
  '"span_count" = traces.span_count + excluded.span_count',
  '"error_count" = traces.error_count + excluded.error_count',
  '"input_tokens" = traces.input_tokens + excluded.input_tokens',
  '"output_tokens" = traces.output_tokens + excluded.output_tokens',
  // Null means "no cost known" for either side; a sum with one known part is that part.
  '"cost_usd" = case when traces.cost_usd is null then excluded.cost_usd when excluded.cost_usd is null then traces.cost_usd else traces.cost_usd + excluded.cost_usd end',
  pick(TAKE_PROMPT, 'prompt_name'),
  pick(TAKE_PROMPT, 'prompt_version'),
  pick(TAKE_PROMPT, 'environment'),
  '"model" = coalesce(traces.model, excluded.model)',
  '"user_id" = coalesce(traces.user_id, excluded.user_id)',
  '"session_id" = coalesce(traces.session_id, excluded.session_id)',
].join(', ')}`;

const SPAN_CONFLICT =
  'on conflict ("project_id", "trace_id", "span_id", "start_ms") do nothing returning "trace_id", "span_id", "start_ms"';

/**
 * PostgreSQL: the batch as one JSON parameter, turned into rows of the table's own type by
 * `json_populate_recordset`. One `JSON.stringify` (native) instead of the driver escaping every
 * value into 33 array literals (JavaScript), and one parameter PostgreSQL parses in C.
 */
const fromJson = (table: string, columns: readonly string[]) =>
  `select ${names(columns)} from json_populate_recordset(null::"${table}", $1::json)`;

const PG_SPAN_INSERT = `insert into "spans" (${names(SPAN_COLUMNS)}) ${fromJson('spans', SPAN_COLUMNS)} ${SPAN_CONFLICT}`;
const PG_TRACE_MERGE = `insert into "traces" (${names(TRACE_COLUMNS)}) ${fromJson('traces', TRACE_COLUMNS)} ${TRACE_MERGE}`;

/**
 * PostgreSQL: the whole write of a batch in one statement and one round trip. The spans are
 * inserted in batch order (a span stored before, or twice in the batch, is skipped: the first copy
 * wins); the trace summaries are computed in SQL from the spans actually written, with the same
 * rules as `traceSummaries` (rows.ts) — root: a span without parent, else the earliest, ties to
 * the first in the batch; prompt link, model, user and session: the first span in the batch that
 * has one — and merged in trace id order (concurrent batches lock trace rows in one order). The
 * answer is the batch positions (1-based) of the written spans, in batch order: no per-row result
 * for the driver to decode, no trace rows to serialise in JavaScript.
 */
const ROOT_ORDER = 'order by "parent_span_id" is null desc, "start_ms", "ordinality"';
const first = (column: string, when: string) =>
  `(array_agg("${column}" order by "ordinality") filter (where ${when}))[1]`;
const TRACE_SELECT = [
  '"project_id"',
  '"trace_id"',
  'min("start_ms")',
  'max("end_ms")',
  `(array_agg("span_id" ${ROOT_ORDER}))[1]`,
  `(array_agg("name" ${ROOT_ORDER}))[1]`,
  `(array_agg("start_ms" ${ROOT_ORDER}))[1]`,
  'max(case when "parent_span_id" is null then 1 else 0 end)',
  'count(*)',
  'count(*) filter (where "status" = \'error\')',
  'coalesce(sum("input_tokens"), 0)',
  'coalesce(sum("output_tokens"), 0)',
  'sum("cost_usd")',
  first('prompt_name', '"prompt_name" is not null'),
  first('prompt_version', '"prompt_name" is not null'),
  first('environment', '"prompt_name" is not null'),
  first('model', '"model" is not null'),
  first('user_id', '"user_id" is not null'),
  first('session_id', '"session_id" is not null'),
];
const PG_BATCH_WRITE = `with "batch" as materialized (
    select * from json_populate_recordset(null::"spans", $1::json) with ordinality
  ), "inserted" as (
    insert into "spans" (${names(SPAN_COLUMNS)}) select ${names(SPAN_COLUMNS)} from "batch" order by "ordinality"
    on conflict ("project_id", "trace_id", "span_id", "start_ms") do nothing
    returning "trace_id", "span_id", "start_ms"
  ), "written" as (
    select distinct on (b."trace_id", b."span_id", b."start_ms") b.*
    from "batch" b join "inserted" i using ("trace_id", "span_id", "start_ms")
    order by b."trace_id", b."span_id", b."start_ms", b."ordinality"
  ), "merged" as (
    insert into "traces" (${names(TRACE_COLUMNS)})
    select ${TRACE_SELECT.join(', ')} from "written" group by "project_id", "trace_id" order by "project_id", "trace_id"
    ${TRACE_MERGE}
  )
  select string_agg("ordinality"::text, ',' order by "ordinality") as "written" from "written"`;

/**
 * PostgreSQL: inserts a batch of span rows and merges the summaries of the spans it wrote into
 * the trace rows, in one statement. Answers the indexes (0-based, in `rows`) of the rows written.
 */
export async function writeSpanBatchPostgres(db: Db, rows: readonly SpansTable[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const result = await db.executeQuery<{ written: string | null }>(
    CompiledQuery.raw(PG_BATCH_WRITE, [JSON.stringify(rows)]),
  );
  const written = result.rows[0]?.written;
  if (!written) return [];
  return written.split(',').map((position) => Number(position) - 1);
}

/** SQLite: `insert … values (?, …), …` for `rows` rows, kept per row count (batches repeat sizes). */
function valuesStatement(table: string, columns: readonly string[], tail: string) {
  const row = `(${columns.map(() => '?').join(', ')})`;
  const texts = new Map<number, string>();
  return (rows: number): string => {
    let text = texts.get(rows);
    if (text === undefined) {
      text = `insert into "${table}" (${names(columns)}) values ${Array(rows).fill(row).join(', ')} ${tail}`;
      // Bounded: at most a chunk's worth of distinct sizes, a few hundred KiB of text.
      if (texts.size < 1_024) texts.set(rows, text);
    }
    return text;
  };
}

const sqliteSpanInsert = valuesStatement('spans', SPAN_COLUMNS, SPAN_CONFLICT);
const sqliteTraceMerge = valuesStatement('traces', TRACE_COLUMNS, TRACE_MERGE);

/** One flat parameter list, row after row (SQLite's `values` list). */
function flat<R>(rows: readonly R[], columns: readonly (keyof R)[]): unknown[] {
  const out = new Array<unknown>(rows.length * columns.length);
  let i = 0;
  for (const row of rows) for (const column of columns) out[i++] = row[column];
  return out;
}

type KeyRow = { trace_id: string; span_id: string; start_ms: number | string };
const insertedKey = (row: KeyRow): InsertedSpanKey => ({
  traceId: row.trace_id,
  spanId: row.span_id,
  startMs: toNumber(row.start_ms),
});

/**
 * Inserts span rows; a span already stored (same project, trace, span and start) is skipped, not
 * an error. Answers the keys actually written.
 */
export async function insertSpanRows(
  db: Db,
  dialect: Dialect,
  rows: readonly SpansTable[],
): Promise<InsertedSpanKey[]> {
  if (rows.length === 0) return [];
  if (dialect === 'postgres') {
    const result = await db.executeQuery<KeyRow>(CompiledQuery.raw(PG_SPAN_INSERT, [JSON.stringify(rows)]));
    return result.rows.map(insertedKey);
  }
  const inserted: InsertedSpanKey[] = [];
  for (let i = 0; i < rows.length; i += SPAN_CHUNK) {
    const part = rows.slice(i, i + SPAN_CHUNK);
    const result = await db.executeQuery<KeyRow>(
      CompiledQuery.raw(sqliteSpanInsert(part.length), flat(part, SPAN_COLUMNS)),
    );
    for (const row of result.rows) inserted.push(insertedKey(row));
  }
  return inserted;
}

/** Merges per-batch trace summaries into the trace rows (one row per trace in `rows`). */
export async function mergeTraceRows(db: Db, dialect: Dialect, rows: readonly TracesTable[]): Promise<void> {
  if (rows.length === 0) return;
  if (dialect === 'postgres') {
    await db.executeQuery(CompiledQuery.raw(PG_TRACE_MERGE, [JSON.stringify(rows)]));
    return;
  }
  for (let i = 0; i < rows.length; i += TRACE_CHUNK) {
    const part = rows.slice(i, i + TRACE_CHUNK);
    await db.executeQuery(CompiledQuery.raw(sqliteTraceMerge(part.length), flat(part, TRACE_COLUMNS)));
  }
}
