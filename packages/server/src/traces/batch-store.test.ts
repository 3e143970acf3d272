import { expect, it } from 'vitest';
import { forEachDialect } from '../test-helpers/database.ts';
import { insertSpanRows, mergeTraceRows } from './batch-store.ts';
import { type SpansTable, type TracesTable, traceDb } from './migration.ts';
import { newSpanId, newTraceId } from './test-spans.ts';

/** A span row with every column set, text that SQL and array literals must not mangle included. */
function row(i: number, traceId = newTraceId()): SpansTable {
  const odd = i % 2 === 1;
  return {
    project_id: 1,
    trace_id: traceId,
    span_id: newSpanId(),
    parent_span_id: odd ? newSpanId() : null,
    name: `span ${i} "quoted", {braced}, back\\slash, ünïcødé ✓`,
    start_ms: 1_772_359_200_000 + i,
    end_ms: 1_772_359_200_400 + i,
    duration_ms: 400.25,
    status: odd ? 'error' : 'ok',
    status_message: odd ? "it's NULL-ish: null" : null,
    prompt_name: odd ? 'support/triage' : null,
    prompt_version: odd ? 2 : null,
    environment: odd ? 'production' : null,
    variant: odd ? 1 : null,
    unit: odd ? 'user-1' : null,
    provider: 'openai',
    model: 'gpt-4o-mini',
    input_tokens: 120 + i,
    output_tokens: odd ? null : 30,
    cached_input_tokens: odd ? 5 : null,
    reasoning_tokens: null,
    usage_estimated: odd ? 1 : null,
    cost_usd: odd ? 0.000125 : null,
    cost_computed: odd ? 1 : 0,
    ttft_ms: odd ? 12.5 : null,
    input: JSON.stringify([{ role: 'user', content: `a "quote" and {"json": [1, 2]} #${i}` }]),
    output: odd ? null : JSON.stringify('plain'),
    variables: JSON.stringify({ order: String(i) }),
    attributes: JSON.stringify({ 'service.name': 'test', n: i }),
    user_id: `user-${i % 3}`,
    session_id: odd ? 'session-1' : null,
    source: 'api',
    received_at: '2026-03-01T10:00:00.000Z',
    contract_violation: odd ? 1 : i % 4 === 0 ? 0 : null,
    contract_message: odd ? 'expected JSON, got "text"' : null,
  };
}

/** What a stored row reads back as, numbers as numbers (drivers give bigints as text). */
const normalise = (r: object) =>
  Object.fromEntries(
    Object.entries(r).map(([k, v]) => [
      k,
      typeof v === 'string' && /_ms$|_tokens$|_count$/.test(k) ? Number(v) : v,
    ]),
  );

forEachDialect((_dialect, get) => {
  it('inserts a full batch (two SQLite statements) exactly, and answers only the spans it wrote', async () => {
    const db = get().db;
    const first = Array.from({ length: 700 }, (_, i) => row(i));
    const inserted = await db.transaction().execute((trx) => insertSpanRows(trx, get().dialect, first));
    expect(inserted).toHaveLength(700);
    expect(new Set(inserted.map((k) => `${k.traceId}/${k.spanId}/${k.startMs}`))).toEqual(
      new Set(first.map((r) => `${r.trace_id}/${r.span_id}/${r.start_ms}`)),
    );
    const stored = await traceDb(db)
      .selectFrom('spans')
      .selectAll()
      .where(
        'trace_id',
        'in',
        first.map((r) => r.trace_id),
      )
      .execute();
    const byKey = new Map(stored.map((s) => [s.span_id, normalise(s)]));
    for (const r of first) expect(byKey.get(r.span_id)).toEqual(normalise(r));

    // A re-sent span (twice in the batch, too) is skipped; only the new one is answered.
    const fresh = row(1_000);
    const again = await db
      .transaction()
      .execute((trx) => insertSpanRows(trx, get().dialect, [first[3] as SpansTable, fresh, fresh]));
    expect(again).toEqual([
      { traceId: fresh.trace_id, spanId: fresh.span_id, startMs: Number(fresh.start_ms) },
    ]);
  });

  it('merges trace summaries into stored rows: sums add, the first prompt and the earliest root stay', async () => {
    const db = get().db;
    const traceId = newTraceId();
    const summary = (over: Partial<TracesTable>): TracesTable => ({
      project_id: 1,
      trace_id: traceId,
      start_ms: 2_000,
      end_ms: 3_000,
      root_span_id: 'b'.repeat(16),
      root_name: 'child',
      root_start_ms: 2_000,
      has_root: 0,
      span_count: 2,
      error_count: 0,
      input_tokens: 10,
      output_tokens: 1,
      cost_usd: null,
      prompt_name: null,
      prompt_version: null,
      environment: null,
      model: null,
      user_id: 'u1',
      session_id: null,
      ...over,
    });
    await mergeTraceRows(db, get().dialect, [summary({})]);
    await mergeTraceRows(db, get().dialect, [
      summary({
        start_ms: 1_000,
        end_ms: 2_500,
        root_span_id: 'a'.repeat(16),
        root_name: "root's",
        root_start_ms: 1_000,
        has_root: 1,
        span_count: 1,
        error_count: 1,
        cost_usd: 0.5,
        prompt_name: 'p',
        prompt_version: 3,
        environment: 'production',
        model: 'm',
        user_id: 'u2',
      }),
    ]);
    await mergeTraceRows(db, get().dialect, [
      summary({ span_count: 1, cost_usd: 0.25, prompt_name: 'q', prompt_version: 1, session_id: 's' }),
    ]);
    const stored = await traceDb(db)
      .selectFrom('traces')
      .selectAll()
      .where('trace_id', '=', traceId)
      .execute();
    expect(stored.map(normalise)).toEqual([
      normalise(
        summary({
          start_ms: 1_000,
          end_ms: 3_000,
          root_span_id: 'a'.repeat(16),
          root_name: "root's",
          root_start_ms: 1_000,
          has_root: 1,
          span_count: 4,
          error_count: 1,
          input_tokens: 30,
          output_tokens: 3,
          cost_usd: 0.75,
          prompt_name: 'p',
          prompt_version: 3,
          environment: 'production',
          model: 'm',
          user_id: 'u1',
          session_id: 's',
        }),
      ),
    ]);
  });
});
