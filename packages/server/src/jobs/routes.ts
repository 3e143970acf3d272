import { Job, JobPage, ListJobsQuery, RowIdParam } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { JobService } from './service.ts';

/** `GET /api/v1/jobs`: the background work of the project and of the instance (admins). */
export function registerJobRoutes(app: FastifyInstance, { jobs }: { jobs: JobService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/jobs', {
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

  r.get('/api/v1/jobs/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'getJob',
      tags: ['jobs'],
      summary: 'One background job: status, attempts, lease and last error',
      params: z.object({ id: RowIdParam }),
      response: { 200: Job, ...problemResponses },
    },
    handler: async (request) => jobs.get(principalOf(request).projectId, request.params.id),
  });
}
