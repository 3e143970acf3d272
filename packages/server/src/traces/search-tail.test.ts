import { randomBytes } from 'node:crypto';
import { parseSse, type SpanInputDraft, type TraceTailEvent } from '@promptline/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestClient,
  DIALECTS,
  startTestServer,
  type TestClient,
  type TestServer,
} from '../test-helpers/index.ts';
import { createSpanStore } from './store.ts';
import { newTraceId, testSpan } from './test-spans.ts';

describe.each(DIALECTS)('trace search and live tail (%s)', (dialect) => {
  let server: TestServer;
  let api: TestClient;
  beforeAll(async () => {
    server = await startTestServer({ dialect });
    api = createTestClient(server.app, server.apiKey);
  });
  afterAll(async () => {
    await server?.close();
  });

  const ingest = async (spans: SpanInputDraft[]) => {
    const response = await api.post('/api/v1/traces', { spans });
    expect(response.status).toBe(202);
  };
  const ids = async (query: string) => {
    const response = await api.get(`/api/v1/traces?${query}`);
    expect(response.status).toBe(200);
    return (response.body.items as { traceId: string }[]).map((t) => t.traceId);
  };

  it('finds traces by text inside any span’s input or output, case-insensitively, through the index', async () => {
    const user = `u-${randomBytes(4).toString('hex')}`;
    const a = newTraceId();
    const b = newTraceId();
    const c = newTraceId();
    await ingest([
      testSpan(
        { traceId: a, userId: user, name: 'root', input: { question: 'Where is my REFUNDED order?' } },
        3_000,
      ),
      testSpan({ traceId: b, userId: user, name: 'root' }, 2_000),
      // The match is in a child span's output, not in the trace's root.
      testSpan({ traceId: b, userId: user, name: 'llm', output: 'Your refund is on its way' }, 1_900),
      testSpan({ traceId: c, userId: user, name: 'root', input: 'nothing to see', output: '50%_off' }, 1_000),
    ]);
    const u = `userId=${user}`;
    expect(await ids(`${u}&q=refund`)).toEqual([b, a]);
    expect(await ids(`${u}&q=${encodeURIComponent('is on its')}`)).toEqual([b]);
    // LIKE wildcards and FTS5 syntax are literal text.
    expect(await ids(`${u}&q=${encodeURIComponent('0%_o')}`)).toEqual([c]);
    expect(await ids(`${u}&q=${encodeURIComponent('"refund" OR x')}`)).toEqual([]);
    expect(await ids(`${u}&q=absent-text`)).toEqual([]);
    if (dialect === 'postgres') {
      const index = await sql<{
        indexdef: string;
      }>`select indexdef from pg_indexes where indexname = 'spans_text_trgm'`.execute(server.database.db);
      expect(index.rows[0]?.indexdef).toContain('gin_trgm_ops');
    } else {
      const plan = await sql<{
        detail: string;
      }>`explain query plan select rowid from spans_fts where spans_fts match '"refund"'`.execute(
        server.database.db,
      );
      expect(plan.rows.map((r) => r.detail).join(' ')).toContain('VIRTUAL TABLE INDEX');
    }
  });

  it('plans the list’s text search through the text index, not a scan of the spans', async () => {
    const store = createSpanStore(dialect);
    const db = server.database.db;
    const plan = (trx: typeof db) => store.planOfListTraces(trx, 1, { q: 'refund', status: 'error' }, 50);
    if (dialect === 'sqlite') {
      const { plan: lines, usesTextIndex } = await plan(db);
      expect(usesTextIndex).toBe(true);
      expect(lines.join('\n')).toContain('SCAN spans_fts VIRTUAL TABLE INDEX');
      return;
    }
    // With a handful of rows any index on project_id looks cheaper, whatever the text. So, in a
    // transaction rolled back after, only the text index is left and scans are forbidden: a plan
    // then uses it if and only if the query's text expression is the one the index is built on.
    let planned: { plan: string[]; usesTextIndex: boolean } | undefined;
    await db
      .transaction()
      .execute(async (trx) => {
        await sql`alter table spans drop constraint spans_pk`.execute(trx);
        await sql`drop index spans_project_start`.execute(trx);
        await sql`set local enable_seqscan = off`.execute(trx);
        planned = await plan(trx);
        throw new Error('roll back');
      })
      .catch((error: Error) => {
        if (error.message !== 'roll back') throw error;
      });
    const { plan: lines, usesTextIndex } = planned ?? { plan: [], usesTextIndex: false };
    expect(usesTextIndex, lines.join('\n')).toBe(true);
    expect(lines.join('\n')).toContain('Bitmap Index Scan');
  });

  it('filters by a score’s name and value range', async () => {
    const user = `u-${randomBytes(4).toString('hex')}`;
    const [good, bad, none] = [newTraceId(), newTraceId(), newTraceId()];
    await ingest([good, bad, none].map((traceId, i) => testSpan({ traceId, userId: user }, 3_000 - i * 100)));
    for (const [traceId, value] of [
      [good, 0.9],
      [bad, 0.2],
    ] as const) {
      expect((await api.post('/api/v1/scores', { traceId, name: 'helpful', value })).status).toBe(201);
    }
    const u = `userId=${user}`;
    expect(await ids(`${u}&score=helpful`)).toEqual([bad, good]);
    expect(await ids(`${u}&score=helpful&scoreMax=0.5`)).toEqual([bad]);
    expect(await ids(`${u}&score=helpful&scoreMin=0.5`)).toEqual([good]);
    expect(await ids(`${u}&score=other`)).toEqual([]);
  });

  it('sums volume and cost per end user over a window, most costly first', async () => {
    const tag = randomBytes(3).toString('hex');
    const [big, small] = [`big-${tag}`, `small-${tag}`];
    await ingest([
      testSpan({ userId: big, costUsd: 2, usage: { input: 10, output: 1 } }, 5_000),
      testSpan({ userId: big, costUsd: 1, status: 'error' }, 4_000),
      testSpan({ userId: small, costUsd: 0.5 }, 3_000),
    ]);
    const from = encodeURIComponent(new Date(Date.now() - 10_000).toISOString());
    const response = await api.get(`/api/v1/traces/users?from=${from}`);
    expect(response.status).toBe(200);
    const mine = response.body.items.filter((u: { userId: string }) => u.userId.endsWith(tag));
    expect(mine).toEqual([
      expect.objectContaining({
        userId: big,
        traces: 2,
        errors: 1,
        costUsd: 3,
        usage: { input: 10, output: 1 },
      }),
      expect.objectContaining({ userId: small, traces: 1, errors: 0, costUsd: 0.5 }),
    ]);
  });

  it('streams spans once stored, only those its filters let through; refuses a client that does not ask for events', async () => {
    const refused = await api.get('/api/v1/traces/tail');
    expect(refused.status).toBe(406);
    expect(refused.body.code).toBe('NOT_ACCEPTABLE');

    const controller = new AbortController();
    const response = await fetch(`${server.url}/api/v1/traces/tail?env=production&q=hello`, {
      headers: { authorization: `Bearer ${server.apiKey}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const body = response.body;
    if (!body) throw new Error('no body');
    const events = parseSse(body, { signal: controller.signal });
    expect((await events.next()).value?.event).toBe('ready');

    const wanted = newTraceId();
    const prompt = { name: 'tail/p', version: 1, environment: 'production' };
    await ingest([
      testSpan({ traceId: newTraceId(), prompt: { ...prompt, environment: 'staging' }, input: 'hello' }),
      testSpan({ traceId: newTraceId(), prompt, input: 'goodbye' }),
      testSpan({
        traceId: wanted,
        prompt,
        input: 'Hello there',
        usage: { input: 3, output: 4 },
        costUsd: 0.5,
      }),
    ]);
    const next = await events.next();
    expect(next.value?.event).toBe('spans');
    const event = JSON.parse(next.value?.data ?? '{}') as TraceTailEvent;
    expect(event.traceId).toBe(wanted);
    expect(event.spans).toHaveLength(1);
    expect(event.spans[0]).toMatchObject({
      prompt,
      usage: { input: 3, output: 4 },
      costUsd: 0.5,
      status: 'ok',
    });
    // Text is matched but never sent.
    expect(JSON.stringify(event)).not.toContain('Hello there');
    controller.abort();
  });
});
