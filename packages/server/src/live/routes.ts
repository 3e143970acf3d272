import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { environmentNotFound } from '../environments/store.ts';
import { EnvParams, problemResponses } from '../http/schemas.ts';
import type { UpdateStream } from './update-stream.ts';

/** `GET /api/v1/environments/{env}/stream`: server-sent events on every deployment change. */
export function registerLiveRoutes(
  app: FastifyInstance,
  {
    updates,
    etagOf,
  }: { updates: UpdateStream; etagOf: (projectId: number, env: string) => Promise<string | undefined> },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/environments/:env/stream', {
    schema: {
      operationId: 'streamUpdates',
      tags: ['resolution'],
      summary:
        'Server-sent events: an `update` with the snapshot ETag on connect and on every deployment change',
      description:
        'Answers `text/event-stream`. First a `retry:` hint and an `update` event, then one `update` event (`id:` and data `{"etag", "environment", "prompts", "reason"}`) whenever what the environment serves changes, and a `: heartbeat` comment every 15 s. Compare `etag` with your snapshot\'s and fetch `GET /api/v1/environments/{env}/snapshot` when they differ.',
      params: EnvParams,
      response: { 200: z.string().describe('text/event-stream'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const { projectId } = principalOf(request);
      const env = request.params.env;
      // Unknown environments are answered as problem+json before the stream starts.
      const etag = await etagOf(projectId, env);
      if (etag === undefined) throw environmentNotFound(env);
      reply.hijack();
      updates.attach(projectId, env, reply.raw, etag, { 'x-request-id': request.id });
    },
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's live update streams (open connections, shutdown). */
    liveUpdates: UpdateStream;
  }
}
