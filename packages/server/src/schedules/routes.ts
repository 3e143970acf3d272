import { DeployRequest, IsoInstant, listOf, RowIdParam } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { PromptEnvParams, problemResponses } from '../http/schemas.ts';
import type { ScheduleService } from './service.ts';

const tags = ['deployments'];

const ScheduledRelease = z.object({
  id: z.number().int(),
  prompt: z.string(),
  environment: z.string(),
  release: DeployRequest,
  at: z.string(),
  status: z.enum(['pending', 'applied', 'refused', 'cancelled']),
  createdBy: z.string(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  historyId: z.number().int().nullable(),
  error: z.string().nullable(),
});

/** Scheduled releases: `POST …/deployments/{env}/schedule`, `/api/v1/scheduled-releases…`. */
export function registerScheduleRoutes(
  app: FastifyInstance,
  { schedules }: { schedules: ScheduleService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/prompts/:name/deployments/:env/schedule', {
    schema: {
      operationId: 'scheduleDeploy',
      tags,
      summary: 'Make a release go live at a given time',
      description:
        'Body: the deploy body plus `at` (ISO 8601). The job runner applies it when due, with every check of a deploy; a release its environment no longer allows then is recorded as `refused` with the reason.',
      params: PromptEnvParams,
      body: z.intersection(DeployRequest, z.object({ at: IsoInstant })),
      response: { 201: ScheduledRelease, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      const { at, ...body } = request.body;
      return reply
        .code(201)
        .send(
          await schedules.create(
            p.projectId,
            request.params.name,
            request.params.env,
            body as DeployRequest,
            at,
            p.name,
          ),
        );
    },
  });

  r.get('/api/v1/scheduled-releases', {
    schema: {
      operationId: 'listScheduledReleases',
      tags,
      summary: 'Scheduled releases, soonest first',
      querystring: z.object({ status: z.enum(['pending', 'applied', 'refused', 'cancelled']).optional() }),
      response: { 200: listOf(ScheduledRelease), ...problemResponses },
    },
    handler: async (request) => ({
      items: await schedules.list(principalOf(request).projectId, request.query.status),
    }),
  });

  r.post('/api/v1/scheduled-releases/:id/cancel', {
    schema: {
      operationId: 'cancelScheduledRelease',
      tags,
      summary: 'Cancel a pending scheduled release',
      params: z.object({ id: RowIdParam }),
      response: { 200: ScheduledRelease, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return schedules.cancel(p.projectId, request.params.id, p.name);
    },
  });
}
