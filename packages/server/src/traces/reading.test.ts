import { randomBytes } from 'node:crypto';
import type { SpanInputDraft } from '@promptline/core';
import { expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';
import { newSpanId, newTraceId, testSpan } from './test-spans.ts';

const MIN = 60_000;

describeServer((ctx) => {
  const ingest = async (spans: SpanInputDraft[]) => {
    const response = await ctx().api.post('/api/v1/traces', { spans });
    expect(response.status).toBe(202);
  };
  const list = async (query: string) => {
    const response = await ctx().api.get(`/api/v1/traces?${query}`);
    expect(response.status).toBe(200);
    return response.body as { items: { traceId: string }[]; nextCursor: string | null };
  };
  const ids = async (query: string) => (await list(query)).items.map((t) => t.traceId);

  it('lists one row per trace, newest first, with its root span and totals', async () => {
    const session = `s-${randomBytes(4).toString('hex')}`;
    const traceId = newTraceId();
    const root = newSpanId();
    const t0 = Date.now() - MIN;
    await ingest([
      testSpan({
        traceId,
        parentSpanId: root,
        name: 'child',
        sessionId: session,
        model: 'gpt-4o',
        usage: { input: 10, output: 3 },
        costUsd: 0.1,
        status: 'error',
        startTime: t0 + 1_000,
        endTime: t0 + 2_000,
      }),
      testSpan({
        traceId,
        spanId: root,
        name: 'GET /answer',
        sessionId: session,
        startTime: t0,
        endTime: t0 + 1_500,
      }),
    ]);
    const page = await list(`sessionId=${session}`);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      traceId,
      name: 'GET /answer',
      rootSpanId: root,
      status: 'error',
      model: 'gpt-4o',
      usage: { input: 10, output: 3 },
      costUsd: 0.1,
      spanCount: 2,
      errorCount: 1,
      durationMs: 2_000,
      prompt: null,
    });
  });

  it('merges a trace whose spans arrive in several batches: root, times, counts, sums, first prompt', async () => {
    const session = `m-${randomBytes(4).toString('hex')}`;
    const traceId = newTraceId();
    const root = newSpanId();
    const t0 = Date.now() - 2 * MIN;
    const child = (k: number, over: Partial<SpanInputDraft> = {}) =>
      testSpan({
        traceId,
        parentSpanId: root,
        name: `child ${k}`,
        sessionId: session,
        startTime: t0 + k * 1_000,
        endTime: t0 + k * 1_000 + 500,
        usage: { input: 10, output: 1 },
        costUsd: 0.5,
        ...over,
      });
    await ingest([child(2, { prompt: { name: 'merge/first', version: 1 }, costUsd: undefined })]);
    await ingest([child(3, { prompt: { name: 'merge/second', version: 2 }, status: 'error' })]);
    // The root arrives last, starting earliest and ending latest.
    await ingest([
      testSpan({ traceId, spanId: root, name: 'root', startTime: t0, endTime: t0 + 9_000 }),
      child(4),
    ]);
    const [summary] = (await list(`sessionId=${session}`)).items as Record<string, unknown>[];
    expect(summary).toMatchObject({
      traceId,
      name: 'root',
      rootSpanId: root,
      startTime: new Date(t0).toISOString(),
      durationMs: 9_000,
      status: 'error',
      errorCount: 1,
      spanCount: 4,
      usage: { input: 30, output: 3 },
      costUsd: 1,
      prompt: { name: 'merge/first', version: 1, environment: null },
    });
  });

  it('filters by prompt, version, env, status, user, session, model, time and name', async () => {
    const user = `u-${randomBytes(4).toString('hex')}`;
    const mk = (over: Partial<SpanInputDraft>, ago: number) => {
      const span = testSpan({ userId: user, ...over }, ago);
      return { span, id: span.traceId };
    };
    const a = mk(
      {
        name: 'Refund flow',
        prompt: { name: 'support/triage', version: 1, environment: 'production' },
        model: 'm-a',
      },
      10 * MIN,
    );
    const b = mk(
      {
        name: 'refund again',
        prompt: { name: 'support/triage', version: 2, environment: 'staging' },
        model: 'm-b',
        status: 'error',
      },
      20 * MIN,
    );
    const c = mk(
      {
        name: 'other',
        prompt: { name: 'support/reply', version: 1, environment: 'production' },
        sessionId: 'sess-c',
      },
      30 * MIN,
    );
    const d = mk({ name: 'plain 100%_literal' }, 40 * MIN);
    await ingest([a.span, b.span, c.span, d.span]);
    const u = `userId=${user}`;
    expect(await ids(u)).toEqual([a.id, b.id, c.id, d.id]);
    expect(await ids(`${u}&prompt=support%2Ftriage`)).toEqual([a.id, b.id]);
    expect(await ids(`${u}&prompt=support%2Ftriage&version=2`)).toEqual([b.id]);
    expect(await ids(`${u}&env=production`)).toEqual([a.id, c.id]);
    expect(await ids(`${u}&status=error`)).toEqual([b.id]);
    expect(await ids(`${u}&status=ok`)).toEqual([a.id, c.id, d.id]);
    expect(await ids(`${u}&sessionId=sess-c`)).toEqual([c.id]);
    expect(await ids(`${u}&model=m-a`)).toEqual([a.id]);
    const at = (ago: number) => encodeURIComponent(new Date(Date.now() - ago).toISOString());
    expect(await ids(`${u}&from=${at(25 * MIN)}&to=${at(15 * MIN)}`)).toEqual([b.id]);
    expect(await ids(`${u}&q=REFUND`)).toEqual([a.id, b.id]);
    expect(await ids(`${u}&q=${encodeURIComponent('0%_l')}`)).toEqual([d.id]);
    expect(await ids(`${u}&q=${encodeURIComponent('%')}`)).toEqual([d.id]);
    const bad = await ctx().api.get('/api/v1/traces?status=maybe&cursor=zzz');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'querystring.cursor',
      'querystring.status',
    ]);
  });

  it('pages with the cursor: every trace once, in order, even with equal start times', async () => {
    const user = `p-${randomBytes(4).toString('hex')}`;
    const start = Date.now() - 5 * MIN;
    // Three traces share a start: the trace id breaks the tie.
    const spans = [0, 0, 0, 1, 2, 3, 4].map((k) =>
      testSpan({ userId: user, startTime: start - k * 1000, endTime: start - k * 1000 + 10 }),
    );
    await ingest(spans);
    const all = await ids(`userId=${user}&limit=200`);
    expect(all).toHaveLength(7);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { traceId: string }[]; nextCursor: string | null } = await list(
        `userId=${user}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.items.map((t) => t.traceId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('answers a trace as a tree: parents before children, siblings by start, depth and parent ids', async () => {
    const traceId = newTraceId();
    const [root, a, b, a1, orphan] = [newSpanId(), newSpanId(), newSpanId(), newSpanId(), newSpanId()];
    await ingest([
      testSpan({ traceId, spanId: a1, parentSpanId: a, name: 'a1' }, 57_000),
      testSpan({ traceId, spanId: b, parentSpanId: root, name: 'b' }, 58_000),
      testSpan(
        { traceId, spanId: a, parentSpanId: root, name: 'a', prompt: { name: 'tree/p', version: 4 } },
        59_000,
      ),
      testSpan(
        {
          traceId,
          spanId: root,
          name: 'root "quoted", {braced}',
          attributes: { 'http.route': '/x', retries: 2, odd: 'a "b", {c} \\ d\ne ünï 🙂', none: null },
          input: { text: '"x", {y}, \\z' },
          output: [1, 'two', null, { three: true }],
        },
        60_000,
      ),
      testSpan({ traceId, spanId: orphan, parentSpanId: newSpanId(), name: 'orphan' }, 56_000),
    ]);
    const response = await ctx().api.get(`/api/v1/traces/${traceId}`);
    expect(response.status).toBe(200);
    const spans = response.body.spans as { name: string; depth: number; parentSpanId?: string }[];
    expect(spans.map((s) => [s.name, s.depth])).toEqual([
      ['root "quoted", {braced}', 0],
      ['a', 1],
      ['a1', 2],
      ['b', 1],
      ['orphan', 0],
    ]);
    expect(spans[2]?.parentSpanId).toBe(a);
    expect(response.body.spans[0]).toMatchObject({
      attributes: { 'http.route': '/x', retries: 2 },
      source: 'api',
      scores: [],
    });
    expect(response.body.spans[1]).toMatchObject({
      prompt: { name: 'tree/p', version: 4 },
      costComputed: false,
    });
    expect(response.body).toMatchObject({ traceId, name: 'root "quoted", {braced}', spanCount: 5 });

    const missing = await ctx().api.get(`/api/v1/traces/${newTraceId()}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('TRACE_NOT_FOUND');
  });

  it('attaches scores to the named span, else the first span with a prompt, else the first span', async () => {
    const { api } = ctx();
    const traceId = newTraceId();
    const [root, llm] = [newSpanId(), newSpanId()];
    await ingest([
      testSpan({ traceId, spanId: root, name: 'root' }, 60_000),
      testSpan(
        { traceId, spanId: llm, parentSpanId: root, name: 'llm', prompt: { name: 'score/p', version: 1 } },
        59_000,
      ),
    ]);
    const toTrace = await api.post('/api/v1/scores', {
      traceId,
      name: 'helpful',
      value: true,
      source: 'user',
      comment: 'great',
    });
    expect(toTrace.status).toBe(201);
    expect(toTrace.body).toMatchObject({
      spanId: llm,
      dataType: 'boolean',
      value: true,
      source: 'user',
      comment: 'great',
    });
    const toRoot = await api.post('/api/v1/scores', { traceId, spanId: root, name: 'rating', value: 4.5 });
    expect(toRoot.body).toMatchObject({
      spanId: root,
      dataType: 'numeric',
      value: 4.5,
      source: 'api',
      comment: null,
    });
    const label = await api.post('/api/v1/scores', { traceId, spanId: llm, name: 'topic', value: 'billing' });
    expect(label.body).toMatchObject({ dataType: 'categorical', value: 'billing' });

    const detail = await api.get(`/api/v1/traces/${traceId}`);
    const byName = Object.fromEntries(
      detail.body.spans.map((s: { name: string; scores: { name: string }[] }) => [
        s.name,
        s.scores.map((x) => x.name),
      ]),
    );
    expect(byName).toEqual({ root: ['rating'], llm: ['helpful', 'topic'] });

    // No span with a prompt: the first span.
    const plain = newTraceId();
    const first = newSpanId();
    await ingest([testSpan({ traceId: plain }, 30_000), testSpan({ traceId: plain, spanId: first }, 40_000)]);
    expect((await api.post('/api/v1/scores', { traceId: plain, name: 'x', value: 1 })).body.spanId).toBe(
      first,
    );

    const noTrace = await api.post('/api/v1/scores', { traceId: newTraceId(), name: 'x', value: 1 });
    expect([noTrace.status, noTrace.body.code]).toEqual([404, 'TRACE_NOT_FOUND']);
    const noSpan = await api.post('/api/v1/scores', { traceId, spanId: newSpanId(), name: 'x', value: 1 });
    expect([noSpan.status, noSpan.body.code]).toEqual([404, 'SPAN_NOT_FOUND']);
  });
});
