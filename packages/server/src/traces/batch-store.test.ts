import type { SpanInput } from '@promptline/core';
import { expect, it } from 'vitest';
import { forEachDialect } from '../test-helpers/database.ts';
import { insertSpanRows, mergeTraceRows } from './batch-store.ts';
import { type SpansTable, type TracesTable, traceDb } from './migration.ts';
import { type PreparedSpan, spanRow, traceSummaries } from './rows.ts';
import { createSpanStore } from './store.ts';
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

  it('writes a batch: skips stored and repeated spans, and summarises each trace by the rules of rows.ts', async () => {
    const { db, dialect } = get();
    const store = createSpanStore(dialect);
    const t0 = 1_772_359_200_000;
    const span = (over: Partial<SpanInput> & { at: number; costUsd?: number | null }): PreparedSpan => {
      const { at, costUsd = null, ...rest } = over;
      return {
        span: {
          traceId: newTraceId(),
          spanId: newSpanId(),
          name: 'call',
          startTime: at,
          endTime: at + 100,
          status: 'ok',
          ...rest,
        },
        startMs: at,
        endMs: at + 100.5,
        costUsd,
        costComputed: false,
        contract: null,
      };
    };
    const write = (prepared: PreparedSpan[]) =>
      db.transaction().execute((trx) =>
        store.writeSpans(
          trx,
          1,
          prepared,
          prepared.map((p) => spanRow(1, p, 'api', '2026-03-01T10:00:00.000Z')),
        ),
      );

    const stored = span({ at: t0 });
    expect(await write([stored])).toEqual([stored]);

    const traceId = newTraceId();
    const parentSpanId = newSpanId();
    const child = span({ traceId, parentSpanId, at: t0 + 10, status: 'error', costUsd: 0.25 });
    const root = span({ traceId, name: 'root', at: t0 + 20, usage: { input: 7, output: 3 } });
    // A second root at the same start: the first in the batch stays the trace's root.
    const tie = span({ traceId, name: 'tie', at: t0 + 20 });
    const prompted = span({
      traceId,
      parentSpanId,
      at: t0 + 5,
      prompt: { name: 'support/triage', version: 2 },
      model: 'gpt-4o-mini',
      costUsd: 0.5,
    });
    const later = span({
      traceId,
      parentSpanId,
      at: t0 + 1,
      prompt: { name: 'other', version: 1, environment: 'production' },
      model: 'other-model',
      userId: 'user-7',
      usage: { input: 1, output: 1 },
    });
    const other = span({ sessionId: 'session-1', at: t0 + 50 });
    const batch = [child, stored, root, prompted, tie, { ...prompted }, later, other];
    const written = await write(batch);
    expect(written).toEqual([child, root, prompted, tie, later, other]);

    const rows = await traceDb(db)
      .selectFrom('traces')
      .selectAll()
      .where('trace_id', 'in', [traceId, other.span.traceId, stored.span.traceId])
      .orderBy('trace_id')
      .execute();
    const expected = [
      ...traceSummaries(1, [stored]),
      ...traceSummaries(1, [child, root, prompted, tie, later]),
      ...traceSummaries(1, [other]),
    ].sort((a, b) => (a.trace_id < b.trace_id ? -1 : 1));
    expect(rows.map(normalise)).toEqual(expected.map(normalise));
    // The rules, spelled out for the trace of five spans.
    expect(normalise(rows.find((r) => r.trace_id === traceId) ?? {})).toMatchObject({
      start_ms: t0 + 1,
      end_ms: t0 + 120,
      root_span_id: root.span.spanId,
      root_name: 'root',
      has_root: 1,
      span_count: 5,
      error_count: 1,
      input_tokens: 8,
      output_tokens: 4,
      cost_usd: 0.75,
      prompt_name: 'support/triage',
      prompt_version: 2,
      environment: null,
      model: 'gpt-4o-mini',
      user_id: 'user-7',
      session_id: null,
    });
    // Everything again: nothing is written, nothing changes.
    expect(await write(batch)).toEqual([]);
    const again = await traceDb(db)
      .selectFrom('traces')
      .selectAll()
      .where('trace_id', 'in', [traceId, other.span.traceId, stored.span.traceId])
      .orderBy('trace_id')
      .execute();
    expect(again).toEqual(rows);
  });
});
