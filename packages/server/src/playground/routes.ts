import type { ServerResponse } from 'node:http';
import { PlaygroundMatrix, PlaygroundRunRequest } from '@promptline/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { PlaygroundService } from './service.ts';

/** Keeps proxies from closing a stream while a slow model thinks before its first token. */
const KEEPALIVE_MS = 15_000;

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/event-stream');
}

function send(res: ServerResponse, event: string, data: unknown): void {
  if (!res.destroyed && !res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
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
        'Answers `text/event-stream` by default: `event: delta` `{model, row, text}` as tokens arrive; `event: done` `{model, row, text, toolCalls, usage, cost, latencyMs, timeToFirstTokenMs, finishReason}` per cell; `event: error` `{model, row, code, detail}` for a failed cell (the others go on); `event: end` last. `model` and `row` index `models` and the list of variable sets. With `Accept: application/json` the answer is the whole matrix at once. Disconnecting aborts the provider calls.',
      body: PlaygroundRunRequest,
      response: { 200: PlaygroundMatrix, ...problemResponses },
    },
    handler: async (request, reply) => {
      const { projectId } = principalOf(request);
      const prepared = await playground.prepare(projectId, request.body);
      const controller = new AbortController();
      const res = reply.raw;
      // 'close' without a finished response: the client went away, stop paying for tokens.
      let clientGone = false;
      const onClose = () => {
        if (res.writableFinished) return;
        clientGone = true;
        controller.abort(new Error('the client disconnected'));
      };
      res.on('close', onClose);
      running.add(controller);
      try {
        if (wantsJson(request)) return await playground.collect(prepared, controller.signal);
        reply.hijack();
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });
        res.socket?.setNoDelay(true);
        const keepalive = setInterval(() => {
          if (!res.writableEnded) res.write(': keepalive\n\n');
        }, KEEPALIVE_MS);
        try {
          await playground.run(
            prepared,
            {
              delta: (model, row, text) => send(res, 'delta', { model, row, text }),
              done: (result) => send(res, 'done', result),
              error: (error) => send(res, 'error', error),
            },
            controller.signal,
          );
          send(res, 'end', {});
        } finally {
          clearInterval(keepalive);
          // A half-closed socket of a client that left would otherwise hold server.close() until it times out.
          if (clientGone) res.destroy();
          else res.end();
        }
      } finally {
        running.delete(controller);
        res.off('close', onClose);
      }
    },
  });
}
