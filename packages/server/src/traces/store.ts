/**
 * The SQL of spans and trace summaries: the `SpanStore`. It is the narrow interface a columnar
 * engine could stand behind (docs/architecture.md): insert spans idempotently, keep one summary
 * per trace, read a page of traces and one trace's spans, and drop what retention says.
 */
import { type Selectable, sql } from 'kysely';
import type { Db, Dialect } from '../db/database.ts';
import {
  type InsertedSpanKey,
  insertSpanRows,
  mergeTraceRows,
  writeSpanBatchPostgres,
} from './batch-store.ts';
import { type SpansTable, type TracesTable, traceDb } from './migration.ts';
import { type PreparedSpan, traceSummaries, writtenSpans } from './rows.ts';
import { SPAN_TEXT_SQL } from './search-migration.ts';

/** A span row to insert (the table's columns). */
export type NewSpanRow = SpansTable;

/** The summary of the spans of one trace within one batch, merged into the trace's row. */
export type TraceSummaryRow = TracesTable;

export type { InsertedSpanKey };

/** What the trace list filters on (times in epoch ms); all optional, combined with AND. */
export interface TraceFilter {
  prompt?: string | undefined;
  version?: number | undefined;
  env?: string | undefined;
  status?: 'ok' | 'error' | undefined;
  userId?: string | undefined;
  sessionId?: string | undefined;
  model?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  q?: string | undefined;
  /** Traces with a score of this name, its numeric value within [scoreMin, scoreMax] when given. */
  score?: string | undefined;
  scoreMin?: number | undefined;
  scoreMax?: number | undefined;
  /** Resume after this trace (the cursor): strictly older in (start, trace id) order. */
  after?: { startMs: number; traceId: string } | undefined;
}

/** A stored trace summary. */
export type StoredTrace = Selectable<TracesTable>;
/** A stored span. */
export type StoredSpan = Selectable<SpansTable>;

/** `%` and `_` in a user's search text are literal. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Shortest search text a trigram index can serve. */
const MIN_INDEXED_SEARCH = 3;

/** One FTS5 phrase: inside double quotes only `"` needs escaping (doubled). */
const ftsPhrase = (text: string) => `"${text.replaceAll('"', '""')}"`;

/**
 * On SQLite, a search whose text is in at least this many of the project's spans walks the
 * newest traces and checks each one's spans (most match: a page fills within a few hundred
 * traces); rarer text is looked up in the FTS5 index and its traces sorted. Collecting and sorting
 * a million matches took 24 s at 1 M spans; the walk takes milliseconds, and an FTS5 lookup per
 * trace ~5 ms each (bench/traces-page.bench.ts). PostgreSQL's planner makes the same choice from
 * its statistics: the pg_trgm index for rare text, the newest traces for common text.
 */
export const SQLITE_SEARCH_WALK_FROM = 20_000;

/** How a search finds its traces (SQLite): through the FTS5 index, or by walking the newest traces. */
type SearchPath = 'index' | 'walk';

/**
 * The traces with a span whose name, input or output contains `text` (case-insensitive), through
 * the index of migration 0353_span_search: FTS5 trigrams on SQLite, pg_trgm on PostgreSQL.
 */
function spanTextMatch(dialect: Dialect, projectId: number, text: string, path: SearchPath) {
  if (dialect === 'postgres') {
    // The very expression the GIN index is built on, or the planner cannot use it.
    return sql<boolean>`trace_id in (select trace_id from spans where project_id = ${projectId} and ${sql.raw(SPAN_TEXT_SQL)} ilike ${likePattern(text)})`;
  }
  if (path === 'walk') {
    // The span's own text, read through the primary key. LIKE folds ASCII case only, where the
    // FTS5 index folds all of Unicode: text this common is found either way in practice.
    return sql<boolean>`exists (select 1 from spans s where s.project_id = traces.project_id and s.trace_id = traces.trace_id and (s.name || ' ' || coalesce(s.input, '') || ' ' || coalesce(s.output, '')) like ${likePattern(text)} escape '\\')`;
  }
  return sql<boolean>`trace_id in (select s.trace_id from spans_fts join spans s on s.rowid = spans_fts.rowid where spans_fts match ${ftsPhrase(text)} and s.project_id = ${projectId})`;
}

/** SQLite: whether `text` is common enough in the project's spans to walk the traces instead. */
async function searchPath(
  db: Db,
  dialect: Dialect,
  projectId: number,
  text: string,
  walkFrom: number,
): Promise<SearchPath> {
  if (dialect === 'postgres') return 'index';
  const found = await sql<{
    n: number;
  }>`select count(*) as n from (select 1 from spans_fts join spans s on s.rowid = spans_fts.rowid
      where spans_fts match ${ftsPhrase(text)} and s.project_id = ${projectId} limit ${walkFrom})`.execute(
    db,
  );
  return Number(found.rows[0]?.n ?? 0) >= walkFrom ? 'walk' : 'index';
}

export function createSpanStore(
  dialect: Dialect,
  options: {
    /** Matches from which a SQLite search walks the traces (default {@link SQLITE_SEARCH_WALK_FROM}; tests lower it). */
    searchWalkFrom?: number;
  } = {},
) {
  const walkFrom = options.searchWalkFrom ?? SQLITE_SEARCH_WALK_FROM;
  /** The query of a page of traces, newest first by (start, trace id). */
  async function listQuery(db: Db, projectId: number, f: TraceFilter, limit: number) {
    let q = traceDb(db).selectFrom('traces').selectAll().where('project_id', '=', projectId);
    if (f.prompt !== undefined) q = q.where('prompt_name', '=', f.prompt);
    if (f.version !== undefined) q = q.where('prompt_version', '=', f.version);
    if (f.env !== undefined) q = q.where('environment', '=', f.env);
    if (f.status === 'error') q = q.where('error_count', '>', 0);
    if (f.status === 'ok') q = q.where('error_count', '=', 0);
    if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
    if (f.sessionId !== undefined) q = q.where('session_id', '=', f.sessionId);
    if (f.model !== undefined) q = q.where('model', '=', f.model);
    if (f.fromMs !== undefined) q = q.where('start_ms', '>=', f.fromMs);
    if (f.toMs !== undefined) q = q.where('start_ms', '<', f.toMs);
    const text = f.q;
    if (text !== undefined && [...text].length >= MIN_INDEXED_SEARCH) {
      q = q.where(
        spanTextMatch(dialect, projectId, text, await searchPath(db, dialect, projectId, text, walkFrom)),
      );
    } else if (text !== undefined) {
      q = q.where(sql`lower(root_name)`, 'like', sql`${likePattern(text)} escape '\\'`);
    }
    if (f.score !== undefined) {
      const { score, scoreMin, scoreMax } = f;
      q = q.where('trace_id', 'in', (eb) => {
        let scored = eb
          .selectFrom('scores')
          .select('scores.trace_id')
          .where('scores.project_id', '=', projectId)
          .where('scores.name', '=', score);
        if (scoreMin !== undefined) scored = scored.where('scores.value_number', '>=', scoreMin);
        if (scoreMax !== undefined) scored = scored.where('scores.value_number', '<=', scoreMax);
        return scored;
      });
    }
    const after = f.after;
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('start_ms', '<', after.startMs),
          eb.and([eb('start_ms', '=', after.startMs), eb('trace_id', '<', after.traceId)]),
        ]),
      );
    }
    return q.orderBy('start_ms', 'desc').orderBy('trace_id', 'desc').limit(limit);
  }

  return {
    /** A page of traces, newest first by (start, trace id). */
    listTraces: async (db: Db, projectId: number, f: TraceFilter, limit: number): Promise<StoredTrace[]> =>
      (await listQuery(db, projectId, f, limit)).execute(),

    /**
     * The database's plan for that page, one line per step (EXPLAIN QUERY PLAN on SQLite, EXPLAIN
     * on PostgreSQL), and whether a step reads the text index (FTS5 table, or the pg_trgm index of
     * any spans partition): what the benches and tests read to prove a search scans no spans.
     */
    async planOfListTraces(
      db: Db,
      projectId: number,
      f: TraceFilter,
      limit: number,
    ): Promise<{ plan: string[]; usesTextIndex: boolean }> {
      const compiled = (await listQuery(db, projectId, f, limit)).compile();
      const explain = dialect === 'postgres' ? 'explain ' : 'explain query plan ';
      const result = await db.executeQuery<Record<string, unknown>>({
        ...compiled,
        sql: `${explain}${compiled.sql}`,
      });
      const plan = result.rows.map((row) => String(row['QUERY PLAN'] ?? row.detail ?? JSON.stringify(row)));
      // Each partition has its own copy of the parent's index, under a generated name.
      const indexes =
        dialect === 'postgres'
          ? (
              await sql<{
                name: string;
              }>`select indexname as name from pg_indexes where schemaname = current_schema() and indexdef like '%gin_trgm_ops%'`.execute(
                db,
              )
            ).rows.map((r) => r.name)
          : ['spans_fts'];
      const usesTextIndex = plan.some((line) =>
        indexes.some((name) => new RegExp(`\\b${name}\\b`).test(line)),
      );
      return { plan, usesTextIndex };
    },

    /** End users of the project's traces that started in [fromMs, toMs), most costly first. */
    async usersBetween(db: Db, projectId: number, fromMs: number, toMs: number, limit: number) {
      return traceDb(db)
        .selectFrom('traces')
        .select((eb) => [
          'user_id',
          eb.fn.countAll<number | string>().as('traces'),
          eb.fn.sum<number | string>(sql`case when error_count > 0 then 1 else 0 end`).as('errors'),
          eb.fn.sum<number | string>('input_tokens').as('input_tokens'),
          eb.fn.sum<number | string>('output_tokens').as('output_tokens'),
          eb.fn.sum<number | null>('cost_usd').as('cost_usd'),
          eb.fn.max<number | string>('end_ms').as('last_ms'),
        ])
        .where('project_id', '=', projectId)
        .where('user_id', 'is not', null)
        .where('start_ms', '>=', fromMs)
        .where('start_ms', '<', toMs)
        .groupBy('user_id')
        .orderBy(sql`coalesce(sum(cost_usd), 0)`, 'desc')
        .orderBy(sql`count(*)`, 'desc')
        .orderBy('user_id')
        .limit(limit)
        .execute();
    },

    /** Which of these trace ids the project has. */
    async existingTraces(db: Db, projectId: number, traceIds: readonly string[]): Promise<Set<string>> {
      const found = new Set<string>();
      for (let i = 0; i < traceIds.length; i += 500) {
        const rows = await traceDb(db)
          .selectFrom('traces')
          .select('trace_id')
          .where('project_id', '=', projectId)
          .where('trace_id', 'in', traceIds.slice(i, i + 500))
          .execute();
        for (const r of rows) found.add(r.trace_id);
      }
      return found;
    },

    async findTrace(db: Db, projectId: number, traceId: string): Promise<StoredTrace | undefined> {
      return traceDb(db)
        .selectFrom('traces')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('trace_id', '=', traceId)
        .executeTakeFirst();
    },

    /**
     * The spans of a trace, at most `limit`, by start. The trace's time range narrows the search
     * so PostgreSQL reads only the partitions the trace spans.
     */
    async spansOf(db: Db, trace: StoredTrace, limit: number): Promise<StoredSpan[]> {
      return traceDb(db)
        .selectFrom('spans')
        .selectAll()
        .where('project_id', '=', trace.project_id)
        .where('trace_id', '=', trace.trace_id)
        .where('start_ms', '>=', trace.start_ms)
        .where('start_ms', '<=', trace.end_ms)
        .orderBy('start_ms')
        .orderBy('span_id')
        .limit(limit)
        .execute();
    },

    /**
     * The spans of one written batch (another instance's, for the live tail): its project, start
     * range and `received_at` stamp. The start range keeps it to the index (and on PostgreSQL to
     * the batch's partitions); two batches stamped in the same millisecond may both come back.
     */
    async spansOfBatch(
      db: Db,
      batch: { projectId: number; fromMs: number; toMs: number; receivedAt: string },
      limit: number,
    ): Promise<StoredSpan[]> {
      return traceDb(db)
        .selectFrom('spans')
        .selectAll()
        .where('project_id', '=', batch.projectId)
        .where('start_ms', '>=', batch.fromMs)
        .where('start_ms', '<=', batch.toMs)
        .where('received_at', '=', batch.receivedAt)
        .orderBy('start_ms')
        .orderBy('span_id')
        .limit(limit)
        .execute();
    },

    /**
     * The span a score counts for: `spanId` when given; otherwise the trace's first span that
     * names a prompt, else its first span.
     */
    async scoreTarget(
      db: Db,
      trace: StoredTrace,
      spanId: string | undefined,
    ): Promise<StoredSpan | undefined> {
      let q = traceDb(db)
        .selectFrom('spans')
        .selectAll()
        .where('project_id', '=', trace.project_id)
        .where('trace_id', '=', trace.trace_id)
        .where('start_ms', '>=', trace.start_ms)
        .where('start_ms', '<=', trace.end_ms);
      if (spanId !== undefined) q = q.where('span_id', '=', spanId);
      else q = q.orderBy(sql`case when prompt_name is null then 1 else 0 end`);
      return q.orderBy('start_ms').orderBy('span_id').limit(1).executeTakeFirst();
    },

    /**
     * Writes a batch's span rows (`rows[i]` is the row of `prepared[i]`) and merges the summaries
     * of the spans it wrote into the trace rows. A span already stored (same trace, span and
     * start), or twice in the batch, is skipped, not an error. Answers the prepared spans actually
     * written, in batch order, so aggregates count each span once. PostgreSQL does it in one
     * statement (batch-store.ts); SQLite inserts, then merges the summaries computed here.
     */
    async writeSpans(
      db: Db,
      projectId: number,
      prepared: readonly PreparedSpan[],
      rows: readonly NewSpanRow[],
    ): Promise<PreparedSpan[]> {
      if (dialect === 'postgres') {
        const written: PreparedSpan[] = [];
        for (const i of await writeSpanBatchPostgres(db, rows)) {
          const p = prepared[i];
          if (p) written.push(p);
        }
        return written;
      }
      const written = writtenSpans(prepared, await insertSpanRows(db, dialect, rows));
      if (written.length > 0) await mergeTraceRows(db, dialect, traceSummaries(projectId, written));
      return written;
    },

    /**
     * Removes at most `batch` of a project's spans that started before `beforeMs`; answers how
     * many. Bounded so one retention pass never holds a long write transaction.
     */
    async deleteSpansBefore(db: Db, projectId: number, beforeMs: number, batch: number): Promise<number> {
      const result = await traceDb(db)
        .deleteFrom('spans')
        .where((eb) =>
          eb(
            eb.refTuple('project_id', 'trace_id', 'span_id', 'start_ms'),
            'in',
            eb
              .selectFrom('spans')
              .select(['project_id', 'trace_id', 'span_id', 'start_ms'])
              .where('project_id', '=', projectId)
              .where('start_ms', '<', beforeMs)
              .limit(batch)
              .$asTuple('project_id', 'trace_id', 'span_id', 'start_ms'),
          ),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /** Removes at most `batch` trace rows whose every span started before `beforeMs`. */
    async deleteTracesBefore(db: Db, projectId: number, beforeMs: number, batch: number): Promise<number> {
      const result = await traceDb(db)
        .deleteFrom('traces')
        .where((eb) =>
          eb(
            eb.refTuple('project_id', 'trace_id'),
            'in',
            eb
              .selectFrom('traces')
              .select(['project_id', 'trace_id'])
              .where('project_id', '=', projectId)
              .where('start_ms', '<', beforeMs)
              .where('end_ms', '<', beforeMs)
              .limit(batch)
              .$asTuple('project_id', 'trace_id'),
          ),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /** The traces with at least one span of an end user (a scan of the project's spans: erasure is rare). */
    async tracesOfUser(db: Db, projectId: number, userId: string): Promise<string[]> {
      const rows = await traceDb(db)
        .selectFrom('spans')
        .select('trace_id')
        .distinct()
        .where('project_id', '=', projectId)
        .where('user_id', '=', userId)
        .execute();
      return rows.map((r) => r.trace_id);
    },

    /** Deletes whole traces (spans and summary rows); answers the spans removed. */
    async deleteTraces(db: Db, projectId: number, traceIds: readonly string[]): Promise<number> {
      let removed = 0;
      for (let i = 0; i < traceIds.length; i += 500) {
        const chunk = traceIds.slice(i, i + 500);
        const result = await traceDb(db)
          .deleteFrom('spans')
          .where('project_id', '=', projectId)
          .where('trace_id', 'in', chunk)
          .executeTakeFirst();
        removed += Number(result.numDeletedRows);
        await traceDb(db)
          .deleteFrom('traces')
          .where('project_id', '=', projectId)
          .where('trace_id', 'in', chunk)
          .execute();
      }
      return removed;
    },
  };
}

export type SpanStore = ReturnType<typeof createSpanStore>;
