import { MAX_SPANS_PER_BATCH } from '@promptline/core';
import { expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';
import { traceDb } from './migration.ts';
import { newSpanId, newTraceId, testSpan } from './test-spans.ts';

describeServer((ctx) => {
  const spanCount = async (traceId: string) => {
    const row = await traceDb(ctx().server.database.db)
      .selectFrom('spans')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('trace_id', '=', traceId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const traceRow = (traceId: string) =>
    traceDb(ctx().server.database.db)
      .selectFrom('traces')
      .selectAll()
      .where('trace_id', '=', traceId)
      .executeTakeFirst();

  it('accepts a batch with 202 { accepted } and stores every span, ISO and epoch-ms times alike', async () => {
    const traceId = newTraceId();
    const root = newSpanId();
    const response = await ctx().api.post('/api/v1/traces', {
      spans: [
        testSpan({ traceId, spanId: root, name: 'handle request' }),
        testSpan({
          traceId,
          parentSpanId: root,
          name: 'chat',
          startTime: Date.now() - 59_000,
          endTime: Date.now() - 58_500,
          prompt: { name: 'support/triage', version: 2, environment: 'production', variant: 0 },
          model: 'gpt-4o',
          provider: 'openai',
          usage: { input: 100, output: 20 },
          costUsd: 0.5,
          status: 'error',
        }),
      ],
    });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: 2 });
    expect(await spanCount(traceId)).toBe(2);
    expect(await traceRow(traceId)).toMatchObject({
      root_name: 'handle request',
      prompt_name: 'support/triage',
      model: 'gpt-4o',
    });
    const t = await traceRow(traceId);
    expect(Number(t?.span_count)).toBe(2);
    expect(Number(t?.error_count)).toBe(1);
    expect(Number(t?.input_tokens)).toBe(100);
    expect(t?.cost_usd).toBe(0.5);
  });

  it('a NUL anywhere in a batch (a field, an attribute key, deep in input) is 422 INVALID_CHARACTER naming it; nothing stored', async () => {
    const traceId = newTraceId();
    const cases: [Partial<Parameters<typeof testSpan>[0]>, string][] = [
      [{ name: 'a\u0000b' }, 'spans.1.name'],
      [{ attributes: { 'k\u0000': 1 } }, 'spans.1.attributes.k\u0000'],
      [{ input: [{ role: 'user', content: ['x', 'y\u0000'] }] }, 'spans.1.input.0.content.1'],
    ];
    for (const [override, path] of cases) {
      const response = await ctx().api.post('/api/v1/traces', {
        spans: [testSpan({ traceId }), testSpan({ traceId, ...override })],
      });
      expect(response.status, path).toBe(422);
      expect(response.body.code, path).toBe('INVALID_CHARACTER');
      expect(response.body.errors, path).toEqual([{ path, message: expect.any(String) }]);
    }
    expect(await spanCount(traceId)).toBe(0);
    // A backslash followed by the text "u0000" is no NUL: stored as sent.
    const ok = await ctx().api.post('/api/v1/traces', { spans: [testSpan({ traceId, name: '\\u0000' })] });
    expect(ok.status).toBe(202);
    expect(await spanCount(traceId)).toBe(1);
  });

  it('a re-sent batch is accepted again without storing or counting a span twice', async () => {
    const traceId = newTraceId();
    const spans = [testSpan({ traceId }), testSpan({ traceId, usage: { input: 5, output: 1 } })];
    expect((await ctx().api.post('/api/v1/traces', { spans })).body).toEqual({ accepted: 2 });
    const again = await ctx().api.post('/api/v1/traces', { spans: [...spans, spans[0]] });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ accepted: 3 });
    expect(await spanCount(traceId)).toBe(2);
    const t = await traceRow(traceId);
    expect(Number(t?.span_count)).toBe(2);
    expect(Number(t?.input_tokens)).toBe(5);
  });

  it('more than the span limit is 413 TRACE_BATCH_TOO_LARGE and nothing is stored', async () => {
    const traceId = newTraceId();
    const spans = Array.from({ length: MAX_SPANS_PER_BATCH + 1 }, () => testSpan({ traceId }));
    const response = await ctx().api.post('/api/v1/traces', { spans });
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('TRACE_BATCH_TOO_LARGE');
    expect(await spanCount(traceId)).toBe(0);
  });

  it('a body over 5 MiB is 413 PAYLOAD_TOO_LARGE naming the limit; 1.5 MiB is accepted', async () => {
    const traceId = newTraceId();
    const big = (kib: number) =>
      Array.from({ length: 100 }, () => testSpan({ traceId, output: 'x'.repeat(kib * 1024) }));
    const fine = await ctx().api.post('/api/v1/traces', { spans: big(15) });
    expect(fine.status).toBe(202);
    const tooBig = await ctx().api.post('/api/v1/traces', { spans: big(53) });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tooBig.body.detail).toContain('5 MiB');
    expect(await spanCount(traceId)).toBe(100);
  });

  it('one bad span fails the whole batch with 422 naming spans.<index>.<field>', async () => {
    const traceId = newTraceId();
    const response = await ctx().api.post('/api/v1/traces', {
      spans: [testSpan({ traceId }), testSpan({ traceId, spanId: 'nothex' }), testSpan({ traceId })],
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(['spans.1.spanId']);
    expect(await spanCount(traceId)).toBe(0);

    const backwards = await ctx().api.post('/api/v1/traces', {
      spans: [testSpan({ traceId }), testSpan({ traceId, endTime: 0 })],
    });
    expect(backwards.status).toBe(422);
    expect(backwards.body.errors).toEqual([{ path: 'spans.1.endTime', message: 'is before startTime' }]);
    expect(await spanCount(traceId)).toBe(0);
  });

  it('spans older than the retention are refused with 422 SPAN_TOO_OLD, the batch not stored', async () => {
    const traceId = newTraceId();
    const response = await ctx().api.post('/api/v1/traces', {
      spans: [testSpan({ traceId }), testSpan({ traceId }, 31 * 86_400_000)],
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('SPAN_TOO_OLD');
    expect(response.body.errors).toEqual([{ path: 'spans.1.startTime', message: 'is older than 30 days' }]);
    expect(response.body.retentionDays).toBe(30);
    expect(await spanCount(traceId)).toBe(0);
    // Just inside retention is fine.
    const inside = await ctx().api.post('/api/v1/traces', {
      spans: [testSpan({ traceId }, 29 * 86_400_000)],
    });
    expect(inside.status).toBe(202);
  });

  it('the project’s span retention is read and changed through /api/v1/traces/settings, audited', async () => {
    const { api } = ctx();
    expect((await api.get('/api/v1/traces/settings')).body).toEqual({ spanRetentionDays: 30 });
    const put = await api.put('/api/v1/traces/settings', { spanRetentionDays: 7 });
    expect([put.status, put.body]).toEqual([200, { spanRetentionDays: 7 }]);
    try {
      const old = await api.post('/api/v1/traces', { spans: [testSpan({}, 8 * 86_400_000)] });
      expect([old.status, old.body.code, old.body.retentionDays]).toEqual([422, 'SPAN_TOO_OLD', 7]);
      const audit = await api.get('/api/v1/audit?action=traces.settings.update');
      expect(audit.body.items[0]).toMatchObject({ data: { spanRetentionDays: { from: 30, to: 7 } } });
      expect((await api.put('/api/v1/traces/settings', { spanRetentionDays: 0 })).status).toBe(422);
    } finally {
      await api.put('/api/v1/traces/settings', { spanRetentionDays: 30 });
    }
  });

  it('a viewer key cannot ingest (403); an editor key can', async () => {
    const { api } = ctx();
    const keys: Record<string, string> = {};
    for (const role of ['viewer', 'editor']) {
      keys[role] = (await api.post('/api/v1/api-keys', { name: `ingest-${role}`, role })).body.key;
    }
    const send = (key: string | undefined) =>
      ctx().server.app.inject({
        method: 'POST',
        url: '/api/v1/traces',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ spans: [testSpan()] }),
      });
    expect((await send(keys.viewer)).statusCode).toBe(403);
    expect((await send(keys.editor)).statusCode).toBe(202);
  });
});
