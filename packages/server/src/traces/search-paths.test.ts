import { createPriceBook, SpanInput, type SpanInputDraft } from '@promptline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../bootstrap.ts';
import { systemClock } from '../clock.ts';
import { createTestDatabase, type TestDatabase } from '../test-helpers/database.ts';
import { createTraceService } from './service.ts';
import { noTraceSink } from './sink.ts';
import { createSpanStore, type TraceFilter } from './store.ts';
import { newTraceId, testSpan } from './test-spans.ts';

// SQLite only: PostgreSQL has one search query and its planner picks the path.
describe('trace search on SQLite: through the FTS5 index or by walking the newest traces', () => {
  let database: TestDatabase;
  let projectId: number;
  // The default store looks rare text up in the index; this one walks for any text found twice.
  const indexed = createSpanStore('sqlite');
  const walking = createSpanStore('sqlite', { searchWalkFrom: 2 });

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    projectId = (await bootstrap(database)).projectId;
    const traces = createTraceService({
      database,
      clock: systemClock,
      sink: noTraceSink,
      prices: async () => createPriceBook(),
    });
    const spans: SpanInputDraft[] = [];
    for (let i = 0; i < 40; i++) {
      const traceId = newTraceId();
      spans.push(
        testSpan(
          { traceId, name: 'root', userId: `u-${i % 3}`, status: i % 4 === 0 ? 'error' : 'ok' },
          60_000 + i * 1_000,
        ),
        testSpan(
          {
            traceId,
            name: 'llm',
            input: [
              { role: 'user', content: i % 2 === 0 ? `Where is my REFUNDED order ${i}?` : `Hello ${i}` },
            ],
            output: i % 5 === 0 ? 'Offer: 50%_off today' : `Answer ${i}`,
          },
          59_000 + i * 1_000,
        ),
      );
    }
    await traces.ingest(
      projectId,
      spans.map((d) => SpanInput.parse(d)),
      'api',
    );
    // A project whose spans say "refund" too: never in this project's answers.
    await traces.ingest(projectId + 1, [SpanInput.parse(testSpan({ input: 'refund elsewhere' }))], 'api');
  });

  afterAll(async () => {
    await database?.close();
  });

  const ids = async (store: typeof indexed, f: TraceFilter, limit = 100) =>
    (await store.listTraces(database.db, projectId, f, limit)).map((t) => t.trace_id);

  it('answers the same traces in the same order on both paths, filters and paging included', async () => {
    const filters: TraceFilter[] = [
      { q: 'refund' },
      { q: 'REFUNDED ORDER 1' },
      { q: '0%_o' },
      { q: 'refund', status: 'error' },
      { q: 'answer', userId: 'u-1' },
      { q: 'absent text' },
    ];
    for (const f of filters) {
      const expected = await ids(indexed, f);
      expect(await ids(walking, f), JSON.stringify(f)).toEqual(expected);
    }
    expect(await ids(indexed, { q: 'refund' })).toHaveLength(20);
    expect(await ids(indexed, { q: '0%_o' })).toHaveLength(8);

    // The second page of a walk resumes after the first page's last trace.
    const first = await walking.listTraces(database.db, projectId, { q: 'refund' }, 7);
    const last = first.at(-1);
    if (!last) throw new Error('no first page');
    const after = { startMs: Number(last.start_ms), traceId: last.trace_id };
    expect(await ids(walking, { q: 'refund', after })).toEqual(
      (await ids(indexed, { q: 'refund' })).slice(7),
    );
  });

  it('walks the newest traces for common text, and uses the FTS5 index for rare text', async () => {
    const common = await walking.planOfListTraces(database.db, projectId, { q: 'refund' }, 50);
    expect(common.usesTextIndex).toBe(false);
    expect(common.plan.join('\n')).toContain('traces_list');
    expect(common.plan.join('\n')).not.toMatch(/SCAN (s|spans)\b/);
    // Found in one span only: below the walking store's threshold of two.
    const rare = await walking.planOfListTraces(database.db, projectId, { q: 'REFUNDED ORDER 12?' }, 50);
    expect(rare.usesTextIndex).toBe(true);
  });
});
