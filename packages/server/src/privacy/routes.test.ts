import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeServer, type ServerContext } from '../test-helpers/index.ts';
import { newTraceId, testSpan } from '../traces/test-spans.ts';

const RAW = {
  email: 'jane.doe@example.com',
  phone: '+44 20 7946 0958',
  card: '4111 1111 1111 1111',
  iban: 'DE89 3704 0044 0532 0130 00',
  ip: '192.168.10.254',
  secret: 'sk-proj-abcdefghijklmnopqrstuvwx',
  ticket: 'TCK-778899',
};
const TEXT = `Mail ${RAW.email}, call ${RAW.phone}, card ${RAW.card}, IBAN ${RAW.iban}, from ${RAW.ip}, key ${RAW.secret}, ${RAW.ticket}`;

/** Every stored row of the trace tables, as text (what an attacker with the database file reads). */
async function storedText(
  ctx: () => ServerContext,
  tables = ['spans', 'traces', 'scores', 'dataset_items', 'annotation_items', 'audit_events'],
): Promise<string> {
  const db = ctx().server.database.db;
  const parts: unknown[] = [];
  for (const table of tables) {
    parts.push((await sql.raw(`select * from ${table}`).execute(db)).rows);
  }
  return JSON.stringify(parts);
}

describeServer((ctx) => {
  it('stores raw text while redaction is off, and never writes a detected value once it is on', async () => {
    const { api } = ctx();
    expect((await api.get('/api/v1/privacy/redaction')).body).toMatchObject({ enabled: false });
    const plain = newTraceId();
    await api.post('/api/v1/traces', {
      spans: [testSpan({ traceId: plain, input: 'hello jane.doe@example.com' })],
    });
    // The test would see a leak: without redaction the value is in the database.
    expect(await storedText(ctx)).toContain(RAW.email);

    const bad = await api.put('/api/v1/privacy/redaction', {
      enabled: true,
      detectors: ['email'],
      customPatterns: [{ name: 'x', pattern: '([' }],
    });
    expect(bad.status).toBe(422);
    const set = await api.put('/api/v1/privacy/redaction', {
      enabled: true,
      detectors: ['email', 'phone', 'card', 'iban', 'ip', 'secret'],
      customPatterns: [{ name: 'ticket', pattern: 'TCK-\\d{6}' }],
    });
    expect(set.status).toBe(200);
    // Remove the plain trace so the database check below is about what redaction wrote.
    await api.delete(`/api/v1/end-users/nobody/data`);
    await ctx().server.database.exec(`delete from spans; delete from traces`);

    const traceId = newTraceId();
    const accepted = await api.post('/api/v1/traces', {
      spans: [
        testSpan({
          traceId,
          status: 'error',
          statusMessage: `upstream refused ${RAW.email}`,
          input: [{ role: 'user', content: TEXT }],
          output: { answer: TEXT },
          variables: { ticket: TEXT },
          attributes: { 'client.ip': RAW.ip, note: TEXT },
          userId: 'customer-42',
        }),
      ],
    });
    expect(accepted.status).toBe(202);
    await api.post('/api/v1/scores', { traceId, name: 'helpful', value: false, comment: `ask ${RAW.email}` });

    const stored = await storedText(ctx);
    for (const [kind, value] of Object.entries(RAW)) {
      expect(stored, `${kind} written raw`).not.toContain(value);
      expect(stored).toContain(`[REDACTED:${kind}]`);
    }
    const read = (await api.get(`/api/v1/traces/${traceId}`)).body.spans[0];
    expect(read.input[0].content).toBe(
      'Mail [REDACTED:email], call [REDACTED:phone], card [REDACTED:card], IBAN [REDACTED:iban], from [REDACTED:ip], key [REDACTED:secret], [REDACTED:ticket]',
    );
    expect(read.attributes['client.ip']).toBe('[REDACTED:ip]');
    expect(read.userId).toBe('customer-42');
    await api.put('/api/v1/privacy/redaction', { enabled: false, detectors: [], customPatterns: [] });
  });

  it('erases an end user: their traces, scores and the dataset items made from them, audited by id only', async () => {
    const { api } = ctx();
    const mine = [newTraceId(), newTraceId()];
    const theirs = newTraceId();
    const marker = 'erase-me-marker-5521';
    await api.post('/api/v1/traces', {
      spans: [
        testSpan({ traceId: mine[0], userId: 'u-erase', input: marker, output: marker }),
        testSpan({ traceId: mine[0], userId: 'u-erase', name: 'child' }),
        testSpan({ traceId: mine[1], userId: 'u-erase', variables: { q: marker } }),
        testSpan({ traceId: theirs, userId: 'u-keep', input: 'keep me' }),
      ],
    });
    await api.post('/api/v1/scores', { traceId: mine[0], name: 'helpful', value: true, comment: marker });
    await api.post('/api/v1/scores', { traceId: theirs, name: 'helpful', value: true });
    const items = await api.post('/api/v1/datasets/erasure-cases/items/from-traces', {
      traces: [{ traceId: mine[0] }, { traceId: theirs }],
      create: true,
    });
    expect(items.body.items).toHaveLength(2);
    // A later revision too: erasure removes the item from the dataset's history.
    await api.patch(`/api/v1/datasets/erasure-cases/items/${items.body.items[0].id}`, {
      expected: `${marker}!`,
    });
    // Under review too: a queue item of the user's trace, completed with a comment quoting them.
    await api.post('/api/v1/score-definitions', { name: 'erasure-ok', dataType: 'boolean' });
    const queue = await api.post('/api/v1/annotation-queues', {
      name: 'erasure',
      scoreDefinitions: ['erasure-ok'],
    });
    expect(queue.status).toBe(201);
    await api.post(`/api/v1/annotation-queues/${queue.body.id}/items`, {
      traces: [{ traceId: mine[0] }, { traceId: theirs }],
    });
    const claimed = (await api.get(`/api/v1/annotation-queues/${queue.body.id}/next`)).body.item;
    expect(claimed.traceId).toBe(mine[0]);
    const reviewed = await api.post(
      `/api/v1/annotation-queues/${queue.body.id}/items/${claimed.id}/complete`,
      {
        scores: [{ name: 'erasure-ok', value: false }],
        comment: `quotes ${marker}`,
      },
    );
    expect(reviewed.status).toBe(200);
    expect(await storedText(ctx)).toContain(marker);

    const erased = await api.delete('/api/v1/end-users/u-erase/data');
    expect(erased.status).toBe(200);
    // Two scores: the API one and the reviewer's.
    expect(erased.body).toEqual({
      userId: 'u-erase',
      spans: 3,
      traces: 2,
      scores: 2,
      datasetItems: 1,
      annotationItems: 1,
    });

    // Nothing the user sent is left anywhere, the audit log included (it keeps ids only).
    expect(await storedText(ctx)).not.toContain(marker);
    const data = await storedText(ctx, ['spans', 'traces', 'scores', 'dataset_items', 'annotation_items']);
    for (const id of mine) {
      expect(data).not.toContain(id);
      expect((await api.get(`/api/v1/traces/${id}`)).status).toBe(404);
    }
    expect((await api.get(`/api/v1/traces/${theirs}`)).status).toBe(200);
    const queued = (await api.get(`/api/v1/annotation-queues/${queue.body.id}/items`)).body.items;
    expect(queued.map((i: { traceId: string }) => i.traceId)).toEqual([theirs]);
    const left = (await api.get('/api/v1/datasets/erasure-cases/items')).body.items;
    expect(left.map((i: { sourceTraceId: string }) => i.sourceTraceId)).toEqual([theirs]);

    const audit = (await api.get('/api/v1/audit?limit=5')).body.items.find(
      (e: { action: string }) => e.action === 'end_user.erase',
    );
    expect(audit).toMatchObject({
      target: 'u-erase',
      data: { spans: 3, traces: 2, scores: 2, datasetItems: 1, annotationItems: 1 },
    });
    const again = await api.delete('/api/v1/end-users/u-erase/data');
    expect(again.body).toEqual({
      userId: 'u-erase',
      spans: 0,
      traces: 0,
      scores: 0,
      datasetItems: 0,
      annotationItems: 0,
    });
  });
});
