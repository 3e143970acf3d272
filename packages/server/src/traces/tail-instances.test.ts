import type { TraceTailEvent } from '@promptline/core';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../db/database.ts';
import { createPostgresChangeFeed, type PostgresChangeFeed } from '../live/postgres-change-feed.ts';
import { CHANGE_CHANNEL } from '../live/store.ts';
import { type LiveServer, openSse, type SseConnection, startLiveServer } from '../live/test-helpers/index.ts';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../test-helpers/database.ts';
import { newTraceId, testSpan } from './test-spans.ts';

/** How long a span may take to reach a tail on the other instance before the test fails. */
const DEADLINE_MS = 5_000;

describe('live tail across two server instances on one PostgreSQL schema', () => {
  let database: TestDatabase;
  let second: Database;
  let a: LiveServer;
  let b: LiveServer;
  let watcher: pg.Client;
  const payloads: string[] = [];
  const announcements: string[] = [];
  const feeds: PostgresChangeFeed[] = [];
  const streams: SseConnection[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(database.db)).rows[0]?.s;
    if (!schema) throw new Error('no current schema');
    second = createDatabase({
      databaseUrl: TEST_POSTGRES_URL,
      dataDir: '.',
      postgresSchema: schema,
      poolSize: 5,
    });
    for (let i = 0; i < 2; i++) {
      feeds.push(await createPostgresChangeFeed({ connectionString: TEST_POSTGRES_URL, schema }));
    }
    a = await startLiveServer({ database, changeFeed: feeds[0] });
    b = await startLiveServer({ database: second, apiKey: a.apiKey, changeFeed: feeds[1] });
    // Everything the feed carries, as a third party on the database sees it.
    watcher = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await watcher.connect();
    watcher.on('notification', (m) => {
      if (m.payload?.includes('"spans"')) payloads.push(m.payload);
      if (m.payload?.includes('"tail"')) announcements.push(m.payload);
    });
    await watcher.query(`LISTEN ${CHANGE_CHANNEL}`);
  });

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await watcher?.end();
    await a?.close();
    await b?.close();
    for (const feed of feeds) await feed.close();
    await second?.close();
    await database?.close();
  });

  async function tail(server: LiveServer, query: string): Promise<SseConnection> {
    const stream = await openSse(`${server.url}/api/v1/traces/tail?${query}`, server.apiKey);
    streams.push(stream);
    expect(stream.status).toBe(200);
    await stream.next((e) => e.event === 'ready');
    return stream;
  }

  const spansOf = (stream: SseConnection) =>
    stream.events.filter((e) => e.event === 'spans').map((e) => JSON.parse(e.data) as TraceTailEvent);

  const ingest = async (server: LiveServer, spans: unknown[]) =>
    expect((await server.call('POST', '/api/v1/traces', { spans })).status).toBe(202);

  it('a batch is announced to the other instances only once one of them tails its project', async () => {
    // No tail open anywhere: this batch costs no NOTIFY.
    await ingest(a, [testSpan({ input: 'unheard' }), testSpan({ input: 'unheard' })]);
    const onB = await tail(b, 'q=announced');
    await expectEventually(() => announcements.length > 0);
    expect(JSON.parse(announcements[0] ?? '{}')).toMatchObject({
      kind: 'tail',
      projectId: expect.any(Number),
    });
    const traceId = newTraceId();
    await ingest(a, [testSpan({ traceId, input: 'announced' })]);
    await onB.next((e) => e.event === 'spans' && e.data.includes(traceId), DEADLINE_MS);
    // Notifications reach a listener in commit order: had the first batch been announced, its
    // notification (count 2) would be here before the second's.
    await expectEventually(() => payloads.length > 0);
    expect(payloads.map((p) => (JSON.parse(p) as { count: number }).count)).toEqual([1]);
    payloads.length = 0;
  });

  it('a span ingested through A reaches a tail on B, filtered by its query, without its content in the notification', async () => {
    const onB = await tail(b, 'env=production&q=parcel');
    const onA = await tail(a, 'env=production&q=parcel');
    const prompt = { name: 'tail/multi', version: 2, environment: 'production' };
    const wanted = newTraceId();
    const secret = 'Where is my parcel, says 4111-secret-text';
    await ingest(a, [
      testSpan({ traceId: newTraceId(), prompt: { ...prompt, environment: 'staging' }, input: 'parcel' }),
      testSpan({ traceId: newTraceId(), prompt, input: 'nothing to see' }),
      testSpan({
        traceId: wanted,
        prompt,
        model: 'gpt-4o-mini',
        userId: 'u-7',
        input: [{ role: 'user', content: secret }],
        output: 'On its way',
        usage: { input: 12, output: 3 },
        costUsd: 0.25,
      }),
    ]);

    const event = await onB.next((e) => e.event === 'spans', DEADLINE_MS);
    const received = JSON.parse(event.data) as TraceTailEvent;
    expect(received.traceId).toBe(wanted);
    expect(received.spans).toHaveLength(1);
    expect(received.spans[0]).toMatchObject({
      prompt,
      model: 'gpt-4o-mini',
      userId: 'u-7',
      status: 'ok',
      usage: { input: 12, output: 3 },
      costUsd: 0.25,
    });
    // B read the span back from the database: the same event A's own tail sent.
    const local = await onA.next((e) => e.event === 'spans', DEADLINE_MS);
    expect(JSON.parse(local.data)).toEqual(received);

    // The notification names the batch, never what the end user wrote.
    await expectEventually(() => payloads.length > 0);
    const payload = payloads.join('\n');
    expect(payload).not.toContain('parcel');
    expect(payload).not.toContain('secret');
    expect(JSON.parse(payloads[0] ?? '{}')).toMatchObject({
      kind: 'spans',
      projectId: expect.any(Number),
      count: 3,
    });
  });

  it('every instance shows a span once: a tail on A never hears its own batch back through the feed', async () => {
    const onA = await tail(a, 'q=once-only');
    const onB = await tail(b, 'q=once-only');
    const first = newTraceId();
    const marker = newTraceId();
    await ingest(a, [testSpan({ traceId: first, input: 'once-only first' })]);
    await onB.next((e) => e.event === 'spans' && e.data.includes(first), DEADLINE_MS);
    // Written through B now: A hears it through the feed, after anything its own batch could echo.
    await ingest(b, [testSpan({ traceId: marker, input: 'once-only marker' })]);
    await onA.next((e) => e.event === 'spans' && e.data.includes(marker), DEADLINE_MS);
    await onB.next((e) => e.event === 'spans' && e.data.includes(marker), DEADLINE_MS);
    expect(spansOf(onA).map((e) => e.traceId)).toEqual([first, marker]);
    expect(spansOf(onB).map((e) => e.traceId)).toEqual([first, marker]);
  });
});

async function expectEventually(check: () => boolean): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
