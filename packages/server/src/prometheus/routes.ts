import { AppError } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthService } from '../auth/service.ts';
import { problemResponses } from '../http/schemas.ts';
import { metricsAccess } from './access.ts';
import type { ServerMetrics } from './registry.ts';

/**
 * `GET /metrics`: the server's metrics in the Prometheus text format. Open from this machine;
 * from elsewhere it needs `Authorization: Bearer <PROMPTLINE_METRICS_TOKEN>` or a valid API key
 * (any role). Never rate limited, logged at debug.
 */
export function registerPrometheusRoutes(
  app: FastifyInstance,
  { metrics, auth, token }: { metrics: ServerMetrics; auth: AuthService; token: string | undefined },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/metrics', {
    // Public to the auth hook: the access rule is this route's own (loopback, token or key).
    config: { public: true, requestLog: 'debug', rateLimit: false },
    schema: {
      operationId: 'prometheusMetrics',
      tags: ['system'],
      summary:
        'Server metrics in the Prometheus text format: open from this machine, else a key (any role) or PROMPTLINE_METRICS_TOKEN as bearer',
      description:
        'HTTP requests and latency by route and status, resolves and renders, live-update connections per environment, the job queue by kind and status, spans ingested and rejected, provider requests, latency and errors, the database pool, and process metrics. Metric names and the alerts to set: docs/operations.md.',
      response: { 200: z.string().describe('text/plain; version=0.0.4'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const access = metricsAccess(request.socket.remoteAddress, request.headers, token);
      if (access.kind === 'none') {
        throw new AppError(
          'UNAUTHORIZED',
          'GET /metrics from another machine needs "Authorization: Bearer <key>": an API key of any role, or the PROMPTLINE_METRICS_TOKEN the server was started with.',
        );
      }
      if (access.kind === 'key') {
        const cached = auth.authenticateCached(access.key);
        const principal = cached === undefined ? await auth.authenticate(access.key) : cached;
        if (!principal) {
          throw new AppError(
            'UNAUTHORIZED',
            'The bearer is neither a valid API key nor PROMPTLINE_METRICS_TOKEN. Use an API key of any role, or the metrics token.',
          );
        }
        // A limited key (expired, an application key, one limited to prompts) does not read the
        // instance's metrics: they span every project and prompt.
        const scope = principal.scope;
        if (
          scope &&
          (scope.readOnly ||
            scope.promptPrefix !== null ||
            (scope.expiresAt !== null && Date.now() >= scope.expiresAt))
        ) {
          throw new AppError(
            'KEY_SCOPE',
            `The key "${principal.name}" is limited or expired: it cannot read the instance's metrics.`,
            { hint: 'Scrape with PROMPTLINE_METRICS_TOKEN, or with a key without limits.' },
          );
        }
      }
      const { contentType, text } = await metrics.scrape();
      return reply.type(contentType).send(text);
    },
  });
}
