import { AppError } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendProblem } from '../http/problem.ts';
import { problemResponses } from '../http/schemas.ts';
import type { ReadinessService } from './service.ts';

/**
 * `GET /healthz` (liveness: the process answers; no database round trip, so a database outage
 * does not get every instance restarted) and `GET /readyz` (readiness: the database answers and
 * the migrations are done; 503 problem+json naming the failed check otherwise). Both need no key,
 * are never rate limited and are logged at debug.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  { readiness }: { readiness: ReadinessService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const probe = { public: true, requestLog: 'debug', rateLimit: false } as const;

  r.get('/healthz', {
    config: probe,
    schema: {
      operationId: 'health',
      tags: ['system'],
      summary: 'Liveness: the process is up and answering (no key needed; does not touch the database)',
      security: [],
      response: { 200: z.object({ status: z.literal('ok') }) },
    },
    handler: async () => ({ status: 'ok' as const }),
  });

  let wasReady: boolean | undefined;
  r.get('/readyz', {
    config: probe,
    schema: {
      operationId: 'ready',
      tags: ['system'],
      summary:
        'Readiness: the database answers within 2 s and every migration is applied (no key needed); 503 NOT_READY naming the failed check otherwise',
      security: [],
      response: { 200: z.object({ status: z.literal('ready') }), ...problemResponses },
    },
    handler: async (request, reply) => {
      const result = await readiness.check();
      // Logged when the state changes, not on every probe of an outage.
      if (result.ready !== wasReady) {
        if (result.ready) request.log.info('ready: the database answers and migrations are done');
        else request.log.warn({ err: result.error, check: result.check }, `not ready: ${result.reason}`);
        wasReady = result.ready;
      }
      if (result.ready) return { status: 'ready' as const };
      return sendProblem(
        request,
        reply,
        new AppError(
          'NOT_READY',
          `Not ready: ${result.reason}. The instance gets no traffic until this passes; check the database and the server's log.`,
          { details: { check: result.check } },
        ),
      );
    },
  });
}
