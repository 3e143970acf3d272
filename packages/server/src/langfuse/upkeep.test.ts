/**
 * The `langfuse.ingestion` job: an observation that never ends is written as it is after 15
 * minutes (with the score that waited for it), and working rows are pruned after a day. The job
 * runs on the runner's schedule; the test moves the server's clock.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createManualClock } from '../test-helpers/server.ts';
import { traceIdOf } from './mapping.ts';
import { describeLangfuse } from './test-helpers/langfuse.ts';

const clock = createManualClock(new Date());

describeLangfuse(
  (ctx) => {
    it('writes an observation that never ended after 15 minutes, with its waiting score', async () => {
      const { call, server } = ctx();
      const traceId = randomUUID();
      const spanId = randomUUID();
      const sent = await call('/api/public/ingestion', {
        body: {
          batch: [
            { id: 'u1', type: 'trace-create', body: { id: traceId, name: 'open', userId: 'u-9' } },
            {
              id: 'u2',
              type: 'span-create',
              body: { id: spanId, traceId, name: 'never ends', startTime: clock.now().toISOString() },
            },
            {
              id: 'u3',
              type: 'score-create',
              body: { traceId, observationId: spanId, name: 'rating', value: 2 },
            },
          ],
        },
      });
      expect((await sent.json()).errors).toEqual([]);
      const trace = () =>
        fetch(`${server.url}/api/v1/traces/${traceIdOf(traceId)}`, {
          headers: { authorization: `Bearer ${server.apiKey}` },
        });
      clock.advance(10 * 60_000);
      // Runs of the job before the 15 minutes leave it waiting.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await trace()).status).toBe(404);

      clock.advance(6 * 60_000);
      // The job writes the span, then attaches the score: wait for both.
      const scored = async () => {
        const response = await trace();
        return response.status === 200 ? (await response.json()).spans[0]?.scores.length : 0;
      };
      await expect.poll(scored, { timeout: 10_000 }).toBe(1);
      const detail = await (await trace()).json();
      expect(detail.spans).toMatchObject([
        {
          name: 'never ends',
          userId: 'u-9',
          durationMs: 0,
          attributes: { 'langfuse.unfinished': true },
          scores: [{ name: 'rating', value: 2 }],
        },
      ]);

      // Written now: an update for it is refused.
      const late = await call('/api/public/ingestion', {
        body: {
          batch: [
            { id: 'u4', type: 'span-update', body: { id: spanId, endTime: clock.now().toISOString() } },
          ],
        },
      });
      expect((await late.json()).errors).toMatchObject([{ id: 'u4', status: 409 }]);

      // A day later the job has pruned the row: the same update is now an unknown observation.
      clock.advance(25 * 3_600_000);
      const unknown = async () => {
        const response = await call('/api/public/ingestion', {
          body: { batch: [{ id: 'u5', type: 'span-update', body: { id: spanId, name: 'x' } }] },
        });
        return (await response.json()).errors[0]?.status;
      };
      await expect.poll(unknown, { timeout: 10_000 }).toBe(400);
    });
  },
  { clock },
);
