import { PlaygroundMatrix, PlaygroundRunRequest } from '@promptline/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { openSse } from '../http/sse.ts';
import type { PlaygroundService } from './service.ts';

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/event-stream');
}

/** `POST /api/v1/playground/runs`: server-sent events, or the whole matrix as JSON. */
export function registerPlaygroundRoutes(
  app: FastifyInstance,
  { playground }: { playground: PlaygroundService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  /** Runs in flight: shutdown aborts them, so `close()` does not wait for slow models. */
  const running = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const controller of running) controller.abort(new Error('the server is shutting down'));
  });

  r.post('/api/v1/playground/runs', {
    schema: {
      operationId: 'runPlayground',
      tags: ['playground'],
      summary:
        'Run a draft or a stored prompt on up to 4 models, side by side, streaming tokens, usage and cost',
      description:
        'Answers `text/event-stream` by default: `event: delta` `{model, row, text}` as tokens arrive; `event: done` `{model, row, text, toolCalls, usage, cost, latencyMs, timeToFirstTokenMs, finishReason, contract?}` per cell (`contract`: `{pass, reason}` against the output contract of the prompt or draft run, when it declares one); `event: error` `{model, row, code, detail}` for a failed cell (the others go on); `event: end` last. `model` and `row` index `models` and the list of variable sets. With `Accept: application/json` the answer is the whole matrix at once. Disconnecting aborts the provider calls.',
      body: PlaygroundRunRequest,
      response: { 200: PlaygroundMatrix, ...problemResponses },
    },
    handler: async (request, reply) => {
      const { projectId } = principalOf(request);
      const prepared = await playground.prepare(projectId, request.body);
      const controller = new AbortController();
      running.add(controller);
      try {
        if (wantsJson(request)) {
          // 'close' without a finished response: the client went away, stop paying for tokens.
          const res = reply.raw;
          const onClose = () => {
            if (!res.writableFinished) controller.abort(new Error('the client disconnected'));
          };
          res.on('close', onClose);
          try {
            return await playground.collect(prepared, controller.signal);
          } finally {
            res.off('close', onClose);
          }
        }
        reply.hijack();
        // The writer's heartbeat keeps proxies from closing the stream while a slow model thinks.
        const stream = openSse(reply.raw, { headers: { 'x-request-id': request.id } });
        // A client that leaves stops the provider calls: no paying for tokens nobody reads.
        const signal = AbortSignal.any([controller.signal, stream.signal]);
        try {
          await playground.run(
            prepared,
            {
              delta: (model, row, text) => stream.send('delta', { model, row, text }),
              done: (result) => stream.send('done', result),
              error: (error) => stream.send('error', error),
            },
            signal,
          );
          stream.send('end', {});
        } finally {
          stream.end();
        }
      } finally {
        running.delete(controller);
      }
    },
  });
}
