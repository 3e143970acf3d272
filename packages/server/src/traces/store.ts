/**
 * The SQL of spans and trace summaries: the `SpanStore`. It is the narrow interface a columnar
 * engine could stand behind (docs/architecture.md): insert spans idempotently, keep one summary
 * per trace, read a page of traces and one trace's spans, and drop what retention says.
 */
import { sql } from 'kysely';
import { toNumber } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';
import { type SpansTable, type TracesTable, traceDb } from './migration.ts';

/** A span row to insert (the table's columns). */
export type NewSpanRow = SpansTable;

/** The summary of the spans of one trace within one batch, merged into the trace's row. */
export type TraceSummaryRow = TracesTable;

/** The key of a span row that an insert actually wrote (not a duplicate). */
export interface InsertedSpanKey {
  traceId: string;
  spanId: string;
  startMs: number;
}

// 33 parameters a row: 500 rows stay below PostgreSQL's 65 535 and SQLite's 32 766 bound parameters.
const SPAN_CHUNK = 500;
// 21 parameters a row.
const TRACE_CHUNK = 1_000;

/** Picks the incoming value over the stored one when `take` (SQL boolean) holds. */
const pick = <T>(take: string, column: string) =>
  sql.raw<T>(`case when ${take} then excluded.${column} else traces.${column} end`);

// The incoming span represents the trace better: it is a root and the stored one is not, or it
// is as much a root and starts earlier.
const TAKE_ROOT =
  '(excluded.has_root > traces.has_root or (excluded.has_root = traces.has_root and excluded.root_start_ms < traces.root_start_ms))';
// The prompt link is kept whole: name, version and environment of the same span.
const TAKE_PROMPT = '(traces.prompt_name is null)';

export function createSpanStore() {
  return {
    /**
     * Inserts spans; a span already stored (same trace, span and start) is skipped, not an error.
     * Answers the keys actually written, so aggregates count each span once.
     */
    async insertSpans(db: Db, rows: readonly NewSpanRow[]): Promise<InsertedSpanKey[]> {
      const inserted: InsertedSpanKey[] = [];
      for (let i = 0; i < rows.length; i += SPAN_CHUNK) {
        const written = await traceDb(db)
          .insertInto('spans')
          .values(rows.slice(i, i + SPAN_CHUNK))
          .onConflict((oc) => oc.columns(['project_id', 'trace_id', 'span_id', 'start_ms']).doNothing())
          .returning(['trace_id', 'span_id', 'start_ms'])
          .execute();
        for (const row of written) {
          inserted.push({ traceId: row.trace_id, spanId: row.span_id, startMs: toNumber(row.start_ms) });
        }
      }
      return inserted;
    },

    /** Merges per-batch summaries into the trace rows (one row per trace in `rows`). */
    async mergeTraces(db: Db, rows: readonly TraceSummaryRow[]): Promise<void> {
      for (let i = 0; i < rows.length; i += TRACE_CHUNK) {
        await traceDb(db)
          .insertInto('traces')
          .values(rows.slice(i, i + TRACE_CHUNK))
          .onConflict((oc) =>
            oc.columns(['project_id', 'trace_id']).doUpdateSet({
              start_ms: sql`case when excluded.start_ms < traces.start_ms then excluded.start_ms else traces.start_ms end`,
              end_ms: sql`case when excluded.end_ms > traces.end_ms then excluded.end_ms else traces.end_ms end`,
              root_span_id: pick<string>(TAKE_ROOT, 'root_span_id'),
              root_name: pick<string>(TAKE_ROOT, 'root_name'),
              root_start_ms: pick<number>(TAKE_ROOT, 'root_start_ms'),
              has_root: sql`case when excluded.has_root > traces.has_root then excluded.has_root else traces.has_root end`,
              span_count: sql`traces.span_count + excluded.span_count`,
              error_count: sql`traces.error_count + excluded.error_count`,
              input_tokens: sql`traces.input_tokens + excluded.input_tokens`,
              output_tokens: sql`traces.output_tokens + excluded.output_tokens`,
              // Null means "no cost known" for either side; a sum with one known part is that part.
              cost_usd: sql`case when traces.cost_usd is null then excluded.cost_usd when excluded.cost_usd is null then traces.cost_usd else traces.cost_usd + excluded.cost_usd end`,
              prompt_name: pick<string | null>(TAKE_PROMPT, 'prompt_name'),
              prompt_version: pick<number | null>(TAKE_PROMPT, 'prompt_version'),
              environment: pick<string | null>(TAKE_PROMPT, 'environment'),
              model: sql`coalesce(traces.model, excluded.model)`,
              user_id: sql`coalesce(traces.user_id, excluded.user_id)`,
              session_id: sql`coalesce(traces.session_id, excluded.session_id)`,
            }),
          )
          .execute();
      }
    },
  };
}

export type SpanStore = ReturnType<typeof createSpanStore>;

/** Per-project trace settings (retention). */
export function createTraceSettingsStore() {
  return {
    /** The project's span retention in days, or undefined when it never set one. */
    async spanRetentionDays(db: Db, projectId: number): Promise<number | undefined> {
      const row = await traceDb(db)
        .selectFrom('trace_settings')
        .select('span_retention_days')
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return row ? toNumber(row.span_retention_days) : undefined;
    },

    async setSpanRetentionDays(db: Db, projectId: number, days: number, at: string): Promise<void> {
      await traceDb(db)
        .insertInto('trace_settings')
        .values({ project_id: projectId, span_retention_days: days, updated_at: at })
        .onConflict((oc) =>
          oc.column('project_id').doUpdateSet({ span_retention_days: days, updated_at: at }),
        )
        .execute();
    },
  };
}
