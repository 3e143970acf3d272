import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { environmentNotFound } from '../environments/errors.ts';
import { EnvParams, problemResponses } from '../http/schemas.ts';
import type { StreamSnapshot, UpdateStream, UpdateStreamOptions } from './update-stream.ts';

/** `GET /api/v1/environments/{env}/stream`: server-sent events on every deployment change. */
export function registerLiveRoutes(
  app: FastifyInstance,
  { updates, snapshotOf }: { updates: UpdateStream; snapshotOf: UpdateStreamOptions['snapshotOf'] },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/environments/:env/stream', {
    schema: {
      operationId: 'streamUpdates',
      tags: ['resolution'],
      summary:
        'Server-sent events: an `update` with the snapshot (or its ETag) on connect and the changed releases on every deployment change',
      description:
        'Answers `text/event-stream`. First a `retry:` hint and an `update` event (data `{"etag", "environment", "prompts": [], "reason": "connect", "snapshot"}`; `snapshot` is the document `GET …/snapshot` answers, left out above 256 KiB and when the `Last-Event-ID` request header is already its ETag), then one `update` event (`id:` and data `{"etag", "environment", "prompts", "reason": "change", "baseEtag", "delta"}`) whenever what the environment serves changes, and a `: heartbeat` comment every 15 s. `delta` maps each changed prompt to its new release (`null`: no longer served) and applies to the snapshot whose ETag is `baseEtag`. A client holding another snapshot, or given an event without `snapshot`/`delta`, compares `etag` with its own and fetches `GET /api/v1/environments/{env}/snapshot` when they differ.',
      params: EnvParams,
      response: { 200: z.string().describe('text/event-stream'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const projectId = principal.projectId;
      const env = request.params.env;
      // Unknown environments are answered as problem+json before the stream starts.
      const current: StreamSnapshot | undefined = await snapshotOf(projectId, env);
      if (current === undefined) throw environmentNotFound(env);
      reply.hijack();
      const lastEventId = request.headers['last-event-id'];
      updates.attach(projectId, env, reply.raw, current, {
        headers: { 'x-request-id': request.id },
        ...(typeof lastEventId === 'string' ? { lastEventId } : {}),
        // A prompt-scoped key hears only of its prompts.
        promptPrefix: principal.scope?.promptPrefix ?? null,
      });
    },
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's live update streams (open connections, shutdown). */
    liveUpdates: UpdateStream;
  }
}
