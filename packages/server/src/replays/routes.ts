import { Replay, ReplayRequest } from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { PromptParams, problemResponses } from '../http/schemas.ts';
import type { ReplayService } from './service.ts';

/** Replay before release: `POST /api/v1/prompts/{name}/replays`. */
export function registerReplayRoutes(app: FastifyInstance, { replays }: { replays: ReplayService }): void {
  app.withTypeProvider<ZodTypeProvider>().post('/api/v1/prompts/:name/replays', {
    config: { role: 'editor' },
    schema: {
      operationId: 'startReplay',
      tags: ['evals'],
      summary: 'Run a candidate version on the last N production calls of the live version, next to it',
      description:
        'Body `{env, version, last?: 100, models?, assertions?}`. The last `last` calls of the version `env` serves become a dataset snapshot (`replays/<prompt>/<env>-v<version>-<time>`: the span variables, the recorded output in metadata), and one eval run evaluates live and candidate on it. Answers the snapshot and the run (queued); follow it with GET /api/v1/eval-runs/{id}.',
      params: PromptParams,
      body: ReplayRequest,
      response: { 201: Replay, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await replays.start(p.projectId, request.params.name, request.body, p.name));
    },
  });
}
