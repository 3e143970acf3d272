/**
 * Issue 8's concurrency promise, over real HTTP on both databases: 100 writers racing on one
 * prompt's head and 100 racing on one environment get exactly the expected winners, nothing is
 * lost, nothing answers 500, and the audit chain still verifies.
 */
import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

const N = 100;

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary answer fields
  body: any;
  contentType: string;
}

describeServer(
  (ctx) => {
    async function send(method: 'POST' | 'PUT', path: string, body: unknown): Promise<Answer> {
      const { server } = ctx();
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        body: await response.json(),
        contentType: response.headers.get('content-type') ?? '',
      };
    }

    /** Every answer is a success or a clean conflict problem; never a 5xx. */
    function expectCleanOutcomes(answers: Answer[], success: number) {
      for (const answer of answers) {
        expect([success, 409], JSON.stringify(answer.body)).toContain(answer.status);
        if (answer.status === 409) {
          expect(answer.contentType).toMatch(/^application\/problem\+json/);
          expect(answer.body.code).toBe('VERSION_CONFLICT');
        }
      }
    }

    // 100 concurrent requests each: seconds alone, longer when other test files share the cores.
    it(`${N} concurrent creates on one parent: one winner, ${N - 1} × 409, no gap`, async () => {
      const { api } = ctx();
      await api.post('/api/v1/prompts', {
        name: 'race/parent',
        version: { type: 'text', template: 'base {{x}}' },
      });
      const answers = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          send('POST', `${p('race/parent')}/versions`, {
            type: 'text',
            template: `edit ${i} {{x}}`,
            parent: 1,
          }),
        ),
      );
      expectCleanOutcomes(answers, 201);
      const winners = answers.filter((a) => a.status === 201);
      expect(winners).toHaveLength(1);
      expect(winners[0]?.body.number).toBe(2);
      const versions = await api.get(`${p('race/parent')}/versions?limit=200`);
      expect(versions.body.items.map((v: { number: number }) => v.number)).toEqual([2, 1]);
      expect(versions.body.items[0].template).toBe(winners[0]?.body.template);
    }, 90_000);

    it(`${N} concurrent creates without a parent: all saved as ${N} distinct, gapless numbers`, async () => {
      const { api } = ctx();
      await api.post('/api/v1/prompts', {
        name: 'race/free',
        version: { type: 'text', template: 'v1 {{x}}' },
      });
      const answers = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          send('POST', `${p('race/free')}/versions`, { type: 'text', template: `free ${i} {{x}}` }),
        ),
      );
      expectCleanOutcomes(answers, 201);
      const saved = answers.filter((a) => a.status === 201).map((a) => a.body.number as number);
      // Without a parent nobody is refused: each writer appends on top of whatever head it finds.
      expect(saved).toHaveLength(N);
      expect([...saved].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 2));
      const versions = await api.get(`${p('race/free')}/versions?limit=200`);
      const rows = versions.body.items as { number: number; parent: number | null; template: string }[];
      expect(rows.map((v) => v.number)).toEqual(Array.from({ length: N + 1 }, (_, i) => N + 1 - i));
      // Each version's parent is the one just below it: no writer based itself on a stale head.
      for (const row of rows) expect(row.parent).toBe(row.number === 1 ? null : row.number - 1);
      expect(new Set(rows.map((v) => v.template)).size).toBe(N + 1);
    }, 90_000);

    it(`${N} concurrent deploys to one environment: all live in turn, history is one unbroken chain`, async () => {
      const { api } = ctx();
      await api.post('/api/v1/prompts', { name: 'race/deploy', version: { type: 'text', template: 'd1' } });
      for (let i = 2; i <= N; i++) {
        const saved = await api.post(`${p('race/deploy')}/versions`, { type: 'text', template: `d${i}` });
        expect(saved.status).toBe(201);
      }
      const answers = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          send('PUT', `${p('race/deploy')}/deployments/production`, { version: i + 1, reason: `r${i + 1}` }),
        ),
      );
      expectCleanOutcomes(answers, 200);
      // Every release differs from every other, so every deploy is a change and a history entry.
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(new Set(answers.map((a) => a.body.historyId)).size).toBe(N);

      const history = await api.get(`${p('race/deploy')}/deployments/production/history`);
      expect(history.status).toBe(200);
      const entries = [...history.body.items] as {
        id: number;
        version: number;
        reason: string;
        previous: { version: number } | null;
      }[];
      entries.sort((a, b) => a.id - b.id);
      expect(entries).toHaveLength(N);
      expect(entries.map((e) => e.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: N }, (_, i) => i + 1),
      );
      // No lost update: each entry replaced exactly the release its predecessor made live.
      expect(entries[0]?.previous).toBeNull();
      for (let i = 1; i < entries.length; i++) {
        expect(entries[i]?.previous?.version).toBe(entries[i - 1]?.version);
      }
      for (const entry of entries) expect(entry.reason).toBe(`r${entry.version}`);
      const live = await api.get(`${p('race/deploy')}/deployments/production`);
      expect(live.body.version).toBe(entries.at(-1)?.version);
      expect(live.body.historyId).toBe(entries.at(-1)?.id);
      const resolved = await api.get(`${p('race/deploy')}/resolve?env=production`);
      expect(resolved.body.version).toBe(entries.at(-1)?.version);
    }, 90_000);

    it('the audit chain verifies after the races', async () => {
      const { api } = ctx();
      const verified = await api.get('/api/v1/audit/verify');
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ ok: true, brokenAt: null });
      // One event per acknowledged write at least: 3 prompts, 1 + N + (N - 1) new versions, N deploys.
      expect(verified.body.checked).toBeGreaterThanOrEqual(3 + 1 + N + (N - 1) + N);
    });
  },
  { listen: true },
);
