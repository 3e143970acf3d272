import { sampledTrace } from '@promptline/core';
import { expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';
import { testSpan } from '../traces/test-spans.ts';
import { eventually } from '../webhooks/test-receiver.ts';

const RATE = 0.25;
const N = 400;

describeServer(
  (ctx) => {
    it('a sampling rule adds the chosen share of a prompt’s new traces in an environment, through the job runner', async () => {
      const { api } = ctx();
      await api.post('/api/v1/score-definitions', { name: 'ok', dataType: 'boolean' });
      const created = await api.post('/api/v1/annotation-queues', {
        name: 'sampled',
        scoreDefinitions: ['ok'],
        sampling: { prompt: 'sample/me', env: 'production', rate: RATE },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.sampling).toEqual({ prompt: 'sample/me', env: 'production', rate: RATE });
      const id = created.body.id;

      const mine = Array.from({ length: N }, () =>
        testSpan({ prompt: { name: 'sample/me', version: 1, environment: 'production' } }, 30_000),
      );
      const others = [
        ...Array.from({ length: 40 }, () =>
          testSpan({ prompt: { name: 'sample/me', version: 1, environment: 'staging' } }, 30_000),
        ),
        ...Array.from({ length: 40 }, () =>
          testSpan({ prompt: { name: 'other', version: 1, environment: 'production' } }, 30_000),
        ),
      ];
      expect((await api.post('/api/v1/traces', { spans: [...mine, ...others] })).status).toBe(202);

      // Which traces: decided by their ids, so the expected set is known exactly.
      const expected = mine
        .filter((s) => sampledTrace(s.traceId, RATE))
        .map((s) => s.traceId)
        .sort();
      // The ids are random: the sample is Binomial(400, 0.25) — mean 100, sd 8.7; 4 sd either side.
      expect(expected.length).toBeGreaterThan(65);
      expect(expected.length).toBeLessThan(135);
      await eventually(
        () => api.get(`/api/v1/annotation-queues/${id}`),
        (r) => r.body.progress.total === expected.length,
        30_000,
      );
      const items = await api.get(`/api/v1/annotation-queues/${id}/items?limit=500`);
      expect(items.body.items.map((i: { traceId: string }) => i.traceId).sort()).toEqual(expected);

      // Later passes look back over the same window and add nothing twice; stopping the rule stops it.
      const passes = async () =>
        (await api.get('/api/v1/jobs?kind=annotation.sample&status=succeeded&limit=200')).body.items
          .length as number;
      const before = await passes();
      const stopped = await api.patch(`/api/v1/annotation-queues/${id}`, { sampling: null });
      expect(stopped.body.sampling).toBeNull();
      const later = Array.from({ length: 40 }, () =>
        testSpan({ prompt: { name: 'sample/me', version: 1, environment: 'production' } }, 1_000),
      );
      await api.post('/api/v1/traces', { spans: later });
      // Two more passes after the stop (and the new traces) have run.
      await eventually(passes, (n) => n >= before + 2, 30_000);
      expect((await api.get(`/api/v1/annotation-queues/${id}`)).body.progress.total).toBe(expected.length);
    });

    it('refuses a rate outside (0, 1]', async () => {
      const { api } = ctx();
      for (const rate of [0, 1.5, -0.1]) {
        const refused = await api.post('/api/v1/annotation-queues', {
          name: `bad-${rate}`,
          scoreDefinitions: ['ok'],
          sampling: { prompt: 'sample/me', rate },
        });
        expect(refused.status, String(rate)).toBe(422);
      }
    });
  },
  { annotation: { sampleEverySeconds: 1 } },
);
