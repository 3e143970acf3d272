/**
 * The two statements of the ingest hot path — insert a batch of spans, merge the batch's trace
 * summaries — as SQL text written once and run with plain parameters. Built through Kysely's
 * query builder, composing a 500-row × 33-column insert (a node per value, frozen, visited,
 * compiled) cost more CPU than SQLite's own insert of the rows, and on PostgreSQL a quarter of the
 * server's CPU per span. The text is fixed per dialect (and, on SQLite, per row count), so
 * SQLite's statement cache and PostgreSQL's parser see the very same statement every batch.
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

// Columns in table order, with their PostgreSQL array type for unnest.
const SPAN_COLUMNS: readonly [keyof SpansTable, string][] = [
  ['project_id', 'integer'],
  ['trace_id', 'text'],
  ['span_id', 'text'],
  ['parent_span_id', 'text'],
  ['name', 'text'],
  ['start_ms', 'bigint'],
  ['end_ms', 'bigint'],
  ['duration_ms', 'double precision'],
  ['status', 'text'],
  ['status_message', 'text'],
  ['prompt_name', 'text'],
  ['prompt_version', 'integer'],
  ['environment', 'text'],
  ['variant', 'integer'],
  ['unit', 'text'],
  ['provider', 'text'],
  ['model', 'text'],
  ['input_tokens', 'bigint'],
  ['output_tokens', 'bigint'],
  ['cached_input_tokens', 'bigint'],
  ['reasoning_tokens', 'bigint'],
  ['usage_estimated', 'integer'],
  ['cost_usd', 'double precision'],
  ['cost_computed', 'integer'],
  ['ttft_ms', 'double precision'],
  ['input', 'text'],
  ['output', 'text'],
  ['variables', 'text'],
  ['attributes', 'text'],
  ['user_id', 'text'],
  ['session_id', 'text'],
  ['source', 'text'],
  ['received_at', 'text'],
  ['contract_violation', 'integer'],
  ['contract_message', 'text'],
];

const TRACE_COLUMNS: readonly [keyof TracesTable, string][] = [
  ['project_id', 'integer'],
  ['trace_id', 'text'],
  ['start_ms', 'bigint'],
  ['end_ms', 'bigint'],
  ['root_span_id', 'text'],
  ['root_name', 'text'],
  ['root_start_ms', 'bigint'],
  ['has_root', 'integer'],
  ['span_count', 'bigint'],
  ['error_count', 'bigint'],
  ['input_tokens', 'bigint'],
  ['output_tokens', 'bigint'],
  ['cost_usd', 'double precision'],
  ['prompt_name', 'text'],
  ['prompt_version', 'integer'],
  ['environment', 'text'],
  ['model', 'text'],
  ['user_id', 'text'],
  ['session_id', 'text'],
];

// 35 parameters a row: 500 rows stay below SQLite's 32 766 bound parameters.
const SPAN_CHUNK = 500;
// 19 parameters a row.
const TRACE_CHUNK = 1_000;

const names = (columns: readonly [string, string][]) => columns.map(([c]) => `"${c}"`).join(', ');

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

/** `select * from unnest($1::type[], …)`: the rows as one array parameter per column. */
const unnest = (columns: readonly [string, string][]) =>
  `select * from unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;

const PG_SPAN_INSERT = `insert into "spans" (${names(SPAN_COLUMNS)}) ${unnest(SPAN_COLUMNS)} ${SPAN_CONFLICT}`;
const PG_TRACE_MERGE = `insert into "traces" (${names(TRACE_COLUMNS)}) ${unnest(TRACE_COLUMNS)} ${TRACE_MERGE}`;

/** SQLite: `insert … values (?, …), …` for `rows` rows, kept per row count (batches repeat sizes). */
function valuesStatement(table: string, columns: readonly [string, string][], tail: string) {
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
function flat<R>(rows: readonly R[], columns: readonly [keyof R, string][]): unknown[] {
  const out = new Array<unknown>(rows.length * columns.length);
  let i = 0;
  for (const row of rows) for (const [column] of columns) out[i++] = row[column];
  return out;
}

/** One array per column (PostgreSQL's unnest). */
function byColumn<R>(rows: readonly R[], columns: readonly [keyof R, string][]): unknown[][] {
  return columns.map(([column]) => rows.map((row) => row[column]));
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
    const result = await db.executeQuery<KeyRow>(
      CompiledQuery.raw(PG_SPAN_INSERT, byColumn(rows, SPAN_COLUMNS)),
    );
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
    await db.executeQuery(CompiledQuery.raw(PG_TRACE_MERGE, byColumn(rows, TRACE_COLUMNS)));
    return;
  }
  for (let i = 0; i < rows.length; i += TRACE_CHUNK) {
    const part = rows.slice(i, i + TRACE_CHUNK);
    await db.executeQuery(CompiledQuery.raw(sqliteTraceMerge(part.length), flat(part, TRACE_COLUMNS)));
  }
}
