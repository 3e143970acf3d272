import { expect, it } from 'vitest';
import {
  createManualClock,
  createTestClient,
  describeServer,
  p,
  type TestClient,
} from '../test-helpers/index.ts';
import { testSpan } from '../traces/test-spans.ts';

const clock = createManualClock(new Date());
const LEASE_SECONDS = 120;
const prompt = { name: 'review/triage', version: 3, environment: 'production' };

describeServer(
  (ctx) => {
    const clients = new Map<string, TestClient>();
    /** A key acting as a person of the project with this role (one per name). */
    async function person(name: string, role: 'viewer' | 'reviewer' | 'editor'): Promise<TestClient> {
      const known = clients.get(name);
      if (known) return known;
      const created = await ctx().api.post('/api/v1/api-keys', { name, role, user: `${name}@people.test` });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const client = createTestClient(ctx().server.app, created.body.key);
      clients.set(name, client);
      return client;
    }
    /** Sends `n` one-span traces of the prompt (the given user) and answers their trace ids, oldest first. */
    async function sendTraces(n: number, overrides: Parameters<typeof testSpan>[0] = {}): Promise<string[]> {
      const spans = Array.from({ length: n }, (_, i) =>
        testSpan({ prompt, input: `question ${i}`, output: `answer ${i}`, ...overrides }, 60_000 - i * 10),
      );
      const sent = await ctx().api.post('/api/v1/traces', { spans });
      expect(sent.status).toBe(202);
      return spans.map((s) => s.traceId);
    }
    async function defineScores() {
      const { api } = ctx();
      const made = await Promise.all([
        api.post('/api/v1/score-definitions', {
          name: 'correctness',
          dataType: 'numeric',
          min: 1,
          max: 5,
          description: 'How right the answer is',
        }),
        api.post('/api/v1/score-definitions', { name: 'safe', dataType: 'boolean' }),
        api.post('/api/v1/score-definitions', {
          name: 'tone',
          dataType: 'categorical',
          categories: ['friendly', 'neutral', 'rude'],
        }),
      ]);
      for (const m of made) expect(m.status, JSON.stringify(m.body)).toBe(201);
    }

    it('score definitions: created, listed, changed within their type; a duplicate name is refused', async () => {
      const { api } = ctx();
      await defineScores();
      const list = await api.get('/api/v1/score-definitions');
      expect(list.body.items.map((d: { name: string }) => d.name)).toEqual(['correctness', 'safe', 'tone']);
      const correctness = list.body.items[0];
      expect(correctness).toMatchObject({ dataType: 'numeric', min: 1, max: 5, categories: [] });

      const again = await api.post('/api/v1/score-definitions', { name: 'safe', dataType: 'boolean' });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('SCORE_DEFINITION_EXISTS');

      const badRange = await api.post('/api/v1/score-definitions', {
        name: 'x',
        dataType: 'numeric',
        min: 5,
        max: 1,
      });
      expect(badRange.status).toBe(422);

      const widened = await api.patch(`/api/v1/score-definitions/${correctness.id}`, { max: 10 });
      expect(widened.status).toBe(200);
      expect(widened.body).toMatchObject({ min: 1, max: 10 });
      const wrongType = await api.patch(`/api/v1/score-definitions/${correctness.id}`, { categories: ['a'] });
      expect(wrongType.status).toBe(422);
      // Back to the range the later tests use.
      expect((await api.patch(`/api/v1/score-definitions/${correctness.id}`, { max: 5 })).status).toBe(200);

      const viewer = await person('vera', 'viewer');
      expect((await viewer.get('/api/v1/score-definitions')).status).toBe(200);
      expect(
        (await viewer.post('/api/v1/score-definitions', { name: 'y', dataType: 'boolean' })).status,
      ).toBe(403);
    });

    it('a score of a defined name is checked against its definition; other names stay free', async () => {
      const { api } = ctx();
      const [traceId] = await sendTraces(1);
      const score = (name: string, value: unknown) => api.post('/api/v1/scores', { traceId, name, value });
      for (const [name, value] of [
        ['correctness', 7],
        ['correctness', 'good'],
        ['safe', 1],
        ['tone', 'sarcastic'],
      ] as const) {
        const refused = await score(name, value);
        expect(refused.status, `${name}=${value}`).toBe(422);
        expect(refused.body.code).toBe('SCORE_VALUE_INVALID');
      }
      // Past the redaction settings' cache: a score reads them again (on SQLite, not inside its own transaction).
      clock.advance(6_000);
      expect((await score('correctness', 4)).status).toBe(201);
      expect((await score('tone', 'neutral')).status).toBe(201);
      expect((await score('free-form', 0.3)).status).toBe(201);
      // Nothing of the refused ones was written.
      const trace = await api.get(`/api/v1/traces/${traceId}`);
      expect(trace.body.spans[0].scores.map((s: { name: string }) => s.name).sort()).toEqual([
        'correctness',
        'free-form',
        'tone',
      ]);
    });

    it('queues: created from definitions, filled by ids and by a traces filter, each trace once', async () => {
      const { api } = ctx();
      const unknownDefinition = await api.post('/api/v1/annotation-queues', {
        name: 'q0',
        scoreDefinitions: ['nope'],
      });
      expect(unknownDefinition.status).toBe(404);
      expect(unknownDefinition.body.code).toBe('SCORE_DEFINITION_NOT_FOUND');

      const created = await api.post('/api/v1/annotation-queues', {
        name: 'fill',
        description: 'fill test',
        scoreDefinitions: ['correctness', 'safe'],
      });
      expect(created.status).toBe(201);
      expect(created.body.progress).toEqual({ total: 0, pending: 0, claimed: 0, completed: 0, skipped: 0 });
      const id = created.body.id;
      const dup = await api.post('/api/v1/annotation-queues', { name: 'fill', scoreDefinitions: ['safe'] });
      expect(dup.body.code).toBe('ANNOTATION_QUEUE_EXISTS');

      const ids = await sendTraces(3);
      const absent = 'f'.repeat(32);
      const byIds = await api.post(`/api/v1/annotation-queues/${id}/items`, {
        traces: [...ids.map((traceId) => ({ traceId })), { traceId: absent }],
      });
      expect(byIds.status).toBe(201);
      expect(byIds.body).toMatchObject({ added: 3, alreadyQueued: 0, missing: [absent] });
      expect(byIds.body.progress).toMatchObject({ total: 3, pending: 3 });

      // A filter (the traces list's query): these users' traces, two of them already queued.
      const filtered = await sendTraces(2, { userId: 'filter-user' });
      const again = await api.post(`/api/v1/annotation-queues/${id}/items`, {
        traces: [{ traceId: ids[0] }],
      });
      expect(again.body).toMatchObject({ added: 0, alreadyQueued: 1 });
      const byFilter = await api.post(`/api/v1/annotation-queues/${id}/items`, {
        filter: { userId: 'filter-user', prompt: prompt.name },
        limit: 10,
      });
      expect(byFilter.body).toMatchObject({ added: 2, alreadyQueued: 0, missing: [] });
      const items = await api.get(`/api/v1/annotation-queues/${id}/items`);
      expect(items.body.items.map((i: { traceId: string }) => i.traceId).sort()).toEqual(
        [...ids, ...filtered].sort(),
      );
      const both = await api.post(`/api/v1/annotation-queues/${id}/items`, {
        traces: [{ traceId: ids[0] }],
        filter: { userId: 'x' },
      });
      expect(both.status).toBe(422);

      const reviewer = await person('rita', 'reviewer');
      expect(
        (await reviewer.post(`/api/v1/annotation-queues/${id}/items`, { traces: [{ traceId: ids[0] }] }))
          .status,
      ).toBe(403);
      expect(
        (await reviewer.post('/api/v1/annotation-queues', { name: 'r', scoreDefinitions: ['safe'] })).status,
      ).toBe(403);
    });

    it('two reviewers never hold the same item; the holder gets it back; a lease that ran out frees it', async () => {
      const { api } = ctx();
      const id = (await api.post('/api/v1/annotation-queues', { name: 'lease', scoreDefinitions: ['safe'] }))
        .body.id;
      await api.post(`/api/v1/annotation-queues/${id}/items`, {
        traces: (await sendTraces(2)).map((traceId) => ({ traceId })),
      });
      const rita = await person('rita', 'reviewer');
      const remy = await person('remy', 'reviewer');
      const viewer = await person('vera', 'viewer');
      expect((await viewer.get(`/api/v1/annotation-queues/${id}/next`)).status).toBe(403);

      const first = await rita.get(`/api/v1/annotation-queues/${id}/next`);
      expect(first.status).toBe(200);
      expect(first.body.item).toMatchObject({ status: 'claimed', reviewer: 'rita@people.test' });
      expect((await rita.get(`/api/v1/annotation-queues/${id}/next`)).body.item.id).toBe(first.body.item.id);
      const second = await remy.get(`/api/v1/annotation-queues/${id}/next`);
      expect(second.body.item.id).not.toBe(first.body.item.id);
      expect(second.body.progress).toMatchObject({ total: 2, pending: 0, claimed: 2 });
      // Nothing left for a third reviewer while both leases run.
      const rosa = await person('rosa', 'reviewer');
      expect((await rosa.get(`/api/v1/annotation-queues/${id}/next`)).body.item).toBeNull();
      // Nor may a reviewer finish an item another one holds.
      const stolen = await rosa.post(`/api/v1/annotation-queues/${id}/items/${first.body.item.id}/skip`);
      expect(stolen.status).toBe(409);
      expect(stolen.body.code).toBe('ANNOTATION_ITEM_UNAVAILABLE');

      clock.advance((LEASE_SECONDS + 1) * 1000);
      const freed = await rosa.get(`/api/v1/annotation-queues/${id}/next`);
      expect(freed.body.item.id).toBe(first.body.item.id);
      expect(freed.body.item.reviewer).toBe('rosa@people.test');
      // Rita's lease ran out and Rosa holds it now: Rita cannot complete it.
      const late = await rita.post(`/api/v1/annotation-queues/${id}/items/${first.body.item.id}/complete`, {
        scores: [{ name: 'safe', value: true }],
      });
      expect(late.status).toBe(409);
    });

    it('reviewers racing for items each get a different one', async () => {
      const { api } = ctx();
      const id = (await api.post('/api/v1/annotation-queues', { name: 'race', scoreDefinitions: ['safe'] }))
        .body.id;
      await api.post(`/api/v1/annotation-queues/${id}/items`, {
        traces: (await sendTraces(6)).map((traceId) => ({ traceId })),
      });
      const reviewers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => person(`racer${i}`, 'reviewer')),
      );
      const claims = await Promise.all(reviewers.map((r) => r.get(`/api/v1/annotation-queues/${id}/next`)));
      const got = claims.map((c) => c.body.item?.id).filter((x) => x !== undefined);
      expect(got).toHaveLength(6);
      expect(new Set(got).size).toBe(6);
      expect(claims.filter((c) => c.body.item === null)).toHaveLength(2);
    });

    it('complete writes human scores on the trace, counted in metrics; a bad value changes nothing; skip closes', async () => {
      const { api } = ctx();
      const id = (
        await api.post('/api/v1/annotation-queues', {
          name: 'review',
          scoreDefinitions: ['correctness', 'safe', 'tone'],
        })
      ).body.id;
      const ids = await sendTraces(2);
      await api.post(`/api/v1/annotation-queues/${id}/items`, {
        traces: ids.map((traceId) => ({ traceId })),
      });
      const rita = await person('rita', 'reviewer');
      const item = (await rita.get(`/api/v1/annotation-queues/${id}/next`)).body.item;
      const complete = (body: unknown) =>
        rita.post(`/api/v1/annotation-queues/${id}/items/${item.id}/complete`, body);

      const badValue = await complete({
        scores: [
          { name: 'safe', value: true },
          { name: 'correctness', value: 9 },
        ],
      });
      expect(badValue.status).toBe(422);
      expect(badValue.body.code).toBe('SCORE_VALUE_INVALID');
      const foreign = await complete({ scores: [{ name: 'free-form', value: 1 }] });
      expect(foreign.status).toBe(422);
      expect((await complete({ scores: [] })).status).toBe(422);
      // The refused completion wrote no score and left the item with Rita.
      expect((await api.get(`/api/v1/traces/${item.traceId}`)).body.spans[0].scores).toEqual([]);
      expect((await rita.get(`/api/v1/annotation-queues/${id}/next`)).body.item.id).toBe(item.id);

      const done = await complete({
        scores: [
          { name: 'correctness', value: 2 },
          { name: 'safe', value: false },
          { name: 'tone', value: 'rude' },
        ],
        comment: 'Made up a refund policy.',
      });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({
        status: 'completed',
        reviewer: 'rita@people.test',
        comment: 'Made up a refund policy.',
      });
      expect((await complete({ scores: [{ name: 'safe', value: true }] })).body.code).toBe(
        'ANNOTATION_ITEM_UNAVAILABLE',
      );

      const scores = (await api.get(`/api/v1/traces/${item.traceId}`)).body.spans[0].scores;
      expect(
        scores.map((s: { name: string; value: unknown; source: string; comment: string }) => [
          s.name,
          s.value,
          s.source,
          s.comment,
        ]),
      ).toEqual([
        ['correctness', 2, 'human', 'Made up a refund policy.'],
        ['safe', false, 'human', 'Made up a refund policy.'],
        ['tone', 'rude', 'human', 'Made up a refund policy.'],
      ]);
      const metrics = await api.get(`${p(prompt.name)}/metrics?env=production&interval=1h`);
      const v3 = metrics.body.versions.find((v: { version: number }) => v.version === 3);
      expect(v3.scores.safe).toEqual({ mean: 0, count: 1 });
      // With the API score of the definitions test on the same version.
      expect(v3.scores.tone).toMatchObject({ count: 2, values: { neutral: 1, rude: 1 } });

      const next = (await rita.get(`/api/v1/annotation-queues/${id}/next`)).body;
      expect(next.item.id).not.toBe(item.id);
      const skipped = await rita.post(`/api/v1/annotation-queues/${id}/items/${next.item.id}/skip`);
      expect(skipped.body).toMatchObject({ status: 'skipped', scores: [] });
      const end = (await rita.get(`/api/v1/annotation-queues/${id}/next`)).body;
      expect(end).toEqual({
        item: null,
        progress: { total: 2, pending: 0, claimed: 0, completed: 1, skipped: 1 },
      });
      const completed = await api.get(`/api/v1/annotation-queues/${id}/items?status=completed`);
      expect(completed.body.items.map((i: { id: number }) => i.id)).toEqual([item.id]);
    });

    it('assignees alone may review a queue that names them', async () => {
      const { api } = ctx();
      const id = (
        await api.post('/api/v1/annotation-queues', {
          name: 'assigned',
          scoreDefinitions: ['safe'],
          assignees: ['Remy@people.test'],
        })
      ).body.id;
      await api.post(`/api/v1/annotation-queues/${id}/items`, {
        traces: (await sendTraces(1)).map((traceId) => ({ traceId })),
      });
      const refused = await (await person('rita', 'reviewer')).get(`/api/v1/annotation-queues/${id}/next`);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('ANNOTATION_NOT_ASSIGNED');
      expect(
        (await (await person('remy', 'reviewer')).get(`/api/v1/annotation-queues/${id}/next`)).body.item,
      ).not.toBeNull();
    });

    it('an item goes to a dataset through the add-to-dataset service; definitions in use stay; queue changes are audited', async () => {
      const { api } = ctx();
      const id = (
        await api.post('/api/v1/annotation-queues', { name: 'to-data', scoreDefinitions: ['tone'] })
      ).body.id;
      const [traceId] = await sendTraces(1);
      await api.post(`/api/v1/annotation-queues/${id}/items`, { traces: [{ traceId }] });
      const item = (await api.get(`/api/v1/annotation-queues/${id}/items`)).body.items[0];
      const missing = await api.post(`/api/v1/annotation-queues/${id}/items/${item.id}/dataset`, {
        dataset: 'reviewed',
      });
      expect(missing.body.code).toBe('DATASET_NOT_FOUND');
      const added = await api.post(`/api/v1/annotation-queues/${id}/items/${item.id}/dataset`, {
        dataset: 'reviewed',
        create: true,
      });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({
        created: true,
        items: [{ sourceTraceId: traceId, expected: 'answer 0' }],
      });

      const tone = (await api.get('/api/v1/score-definitions')).body.items.find(
        (d: { name: string }) => d.name === 'tone',
      );
      const inUse = await api.delete(`/api/v1/score-definitions/${tone.id}`);
      expect(inUse.status).toBe(409);
      expect(inUse.body.code).toBe('SCORE_DEFINITION_IN_USE');
      // The answer names the queues that hold the definition (an earlier test's queue asks for
      // it too), so the person can go and change them.
      expect(inUse.body.queues).toContainEqual({ id, name: 'to-data' });
      expect(inUse.body.queues.length).toBeGreaterThan(1);
      expect(inUse.body.detail).toMatch(/used by annotation queues .*"to-data" \(id \d+\)/);

      const renamed = await api.patch(`/api/v1/annotation-queues/${id}`, {
        name: 'to-data-2',
        scoreDefinitions: ['safe'],
      });
      expect(renamed.body).toMatchObject({
        name: 'to-data-2',
        scoreDefinitions: ['safe'],
        progress: { total: 1 },
      });
      expect((await api.delete(`/api/v1/annotation-queues/${id}`)).status).toBe(200);
      expect((await api.get(`/api/v1/annotation-queues/${id}`)).body.code).toBe('ANNOTATION_QUEUE_NOT_FOUND');
      const actions = new Set<string>();
      for (const action of [
        'annotation_queue.create',
        'annotation_queue.add_items',
        'annotation_queue.update',
        'annotation_queue.delete',
        'score_definition.create',
      ]) {
        const page = await api.get(`/api/v1/audit?action=${action}&limit=100`);
        if (page.body.items.some((e: { target: string; action: string }) => e.action === action))
          actions.add(action);
      }
      expect(actions.size).toBe(5);
    });
  },
  { clock, annotation: { leaseSeconds: LEASE_SECONDS } },
);
