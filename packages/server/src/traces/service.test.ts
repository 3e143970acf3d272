import { createPriceBook, SpanInput, type SpanInputDraft } from '@promptline/core';
import { expect, it } from 'vitest';
import { forEachDialect } from '../test-helpers/database.ts';
import { traceDb } from './migration.ts';
import { createTraceService } from './service.ts';
import type { SpanRecorded, TraceSink } from './sink.ts';
import { newTraceId, testSpan } from './test-spans.ts';

const parse = (drafts: SpanInputDraft[]) => drafts.map((d) => SpanInput.parse(d));

forEachDialect((_dialect, get) => {
  function setup(sink: TraceSink) {
    const database = get();
    const traces = createTraceService({
      database,
      clock: { now: () => new Date() },
      sink,
      prices: async () => createPriceBook([{ provider: 'acme', pattern: 'acme-1', input: 2, output: 10 }]),
    });
    const spans = (traceId: string) =>
      traceDb(database.db)
        .selectFrom('spans')
        .selectAll()
        .where('trace_id', '=', traceId)
        .orderBy('span_id')
        .execute();
    return { traces, spans };
  }

  it('tells the sink, inside the transaction, only about spans actually inserted', async () => {
    const told: SpanRecorded[] = [];
    const { traces } = setup({
      spansWritten: async (_trx, spans) => {
        told.push(...spans);
      },
      scoreWritten: async () => {},
    });
    const traceId = newTraceId();
    const batch = parse([
      testSpan({
        traceId,
        prompt: { name: 'p', version: 3, environment: 'production' },
        usage: { input: 7, output: 2 },
      }),
      testSpan({ traceId }),
    ]);
    await traces.ingest(1, batch, 'sdk');
    expect(told).toHaveLength(2);
    expect(told[0]).toMatchObject({
      projectId: 1,
      promptName: 'p',
      promptVersion: 3,
      inputTokens: 7,
      durationMs: 1_000,
    });
    told.length = 0;
    const extra = parse([testSpan({ traceId })]);
    await traces.ingest(1, [...batch, ...extra, ...extra], 'sdk');
    expect(told).toHaveLength(1);
  });

  it('is all or nothing: a sink failure leaves no span and no trace row behind', async () => {
    const { traces, spans } = setup({
      spansWritten: async () => {
        throw new Error('aggregation failed');
      },
      scoreWritten: async () => {},
    });
    const traceId = newTraceId();
    await expect(
      traces.ingest(1, parse([testSpan({ traceId }), testSpan({ traceId })]), 'api'),
    ).rejects.toThrow('aggregation failed');
    expect(await spans(traceId)).toEqual([]);
    const summary = await traceDb(get().db)
      .selectFrom('traces')
      .selectAll()
      .where('trace_id', '=', traceId)
      .execute();
    expect(summary).toEqual([]);
  });

  it('computes the cost from the price table when a span has none, and marks it computed', async () => {
    const { traces, spans } = setup({ spansWritten: async () => {}, scoreWritten: async () => {} });
    const traceId = newTraceId();
    await traces.ingest(
      1,
      parse([
        testSpan({
          traceId,
          spanId: 'a000000000000001',
          provider: 'acme',
          model: 'acme-1',
          usage: { input: 1_000_000, output: 100_000 },
        }),
        testSpan({
          traceId,
          spanId: 'a000000000000002',
          provider: 'acme',
          model: 'acme-1',
          usage: { input: 10, output: 1 },
          costUsd: 0.25,
        }),
        testSpan({
          traceId,
          spanId: 'a000000000000003',
          provider: 'acme',
          model: 'unpriced-9',
          usage: { input: 10, output: 1 },
        }),
      ]),
      'api',
    );
    const rows = await spans(traceId);
    expect(rows.map((r) => [r.cost_usd, Number(r.cost_computed)])).toEqual([
      [3, 1],
      [0.25, 0],
      [null, 0],
    ]);
  });
});
