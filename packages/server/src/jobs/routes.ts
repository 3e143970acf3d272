import { JobPage, ListJobsQuery } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { JobService } from './service.ts';

/** `GET /api/v1/jobs`: the background work of the project and of the instance (admins). */
export function registerJobRoutes(app: FastifyInstance, { jobs }: { jobs: JobService }): void {
  app.withTypeProvider<ZodTypeProvider>().get('/api/v1/jobs', {
    config: { role: 'admin' },
    schema: {
      operationId: 'listJobs',
      tags: ['jobs'],
      summary: 'List background jobs, newest first (filter by status and kind)',
      description:
        'Eval runs and recurring maintenance run as jobs. A job that kept failing ends `failed` with `lastError`; one retried waits in `queued` until `runAfter`.',
      querystring: ListJobsQuery,
      response: { 200: JobPage, ...problemResponses },
    },
    handler: async (request) => jobs.list(principalOf(request).projectId, request.query),
  });
}
