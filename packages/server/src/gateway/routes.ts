import {
  AppError,
  ChatCompletion,
  ChatCompletionRequest,
  EmbeddingsRequest,
  EmbeddingsResponse,
  GatewayError,
  GatewayModel,
  GatewayModelList,
  GatewayRoute,
  GatewayRouteList,
  GatewayRouteQuery,
  KeyBudget,
  KeyBudgetList,
  MAX_GATEWAY_FALLBACKS,
  RowIdParam,
  SetGatewayRouteRequest,
  SetKeyBudgetRequest,
} from '@promptline/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { openSse } from '../http/sse.ts';
import type { BudgetService } from './budgets.ts';
import { installGatewayErrors, sendGatewayProblem } from './errors.ts';
import type { FallbackRouteService } from './fallback-routes.ts';
import type { GatewayCall, GatewayResponse, GatewayService } from './service.ts';
import { tagsOf } from './spans.ts';

/** Chat requests carry images and long contexts: more room than the API's 1 MiB. */
export const GATEWAY_BODY_LIMIT = 16 * 1024 * 1024;
const DEFAULT_CACHE_TTL_S = 300;
const MAX_CACHE_TTL_S = 86_400;

const gatewayErrors = { '4xx': GatewayError, '5xx': GatewayError } as const;

function invalidHeader(name: string, message: string, detail: string): AppError {
  return new AppError('VALIDATION_FAILED', detail, { errors: [{ path: `headers.${name}`, message }] });
}

function headerText(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value.join(',') : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/**
 * `x-promptline-fallback: openai/gpt-4o-mini, anthropic/claude-…` (replaces the project's route for
 * the model for this call; `none` turns fallback off); null without the header: the route table decides.
 */
function fallbacksOf(request: FastifyRequest): string[] | null {
  const text = headerText(request, 'x-promptline-fallback');
  if (text === undefined) return null;
  if (text.toLowerCase() === 'none') return [];
  const models = text
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (models.length > MAX_GATEWAY_FALLBACKS) {
    throw invalidHeader(
      'x-promptline-fallback',
      `at most ${MAX_GATEWAY_FALLBACKS} models`,
      `x-promptline-fallback names ${models.length} models; at most ${MAX_GATEWAY_FALLBACKS} are tried.`,
    );
  }
  for (const model of models) {
    if (!GatewayModel.safeParse(model).success) {
      throw invalidHeader(
        'x-promptline-fallback',
        'use "<provider>/<model>"',
        `x-promptline-fallback: "${model.slice(0, 80)}" is not "<provider>/<model>" (e.g. anthropic/claude-3-5-haiku-latest).`,
      );
    }
  }
  return models;
}

/** `x-promptline-cache: on` with an optional `x-promptline-cache-ttl` in seconds. */
function cacheOf(request: FastifyRequest): { ttlMs: number } | null {
  const mode = headerText(request, 'x-promptline-cache')?.toLowerCase();
  if (mode === undefined || mode === 'off') return null;
  if (mode !== 'on') {
    throw invalidHeader(
      'x-promptline-cache',
      'on or off',
      `x-promptline-cache must be "on" or "off", not "${mode.slice(0, 40)}".`,
    );
  }
  const ttl = headerText(request, 'x-promptline-cache-ttl');
  if (ttl === undefined) return { ttlMs: DEFAULT_CACHE_TTL_S * 1000 };
  if (!/^\d{1,6}$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > MAX_CACHE_TTL_S) {
    throw invalidHeader(
      'x-promptline-cache-ttl',
      `1 to ${MAX_CACHE_TTL_S} seconds`,
      `x-promptline-cache-ttl must be whole seconds from 1 to ${MAX_CACHE_TTL_S}.`,
    );
  }
  return { ttlMs: Number(ttl) * 1000 };
}

/** Aborts when the client goes away before its answer was written. */
function clientSignal(reply: FastifyReply): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new Error('the client disconnected'));
  };
  res.on('close', onClose);
  return { signal: controller.signal, release: () => res.off('close', onClose) };
}

async function send(request: FastifyRequest, reply: FastifyReply, answer: GatewayResponse): Promise<void> {
  if (answer.kind === 'json') {
    await reply.code(answer.status).headers(answer.headers).type('application/json').send(answer.body);
    return;
  }
  reply.hijack();
  // No heartbeat comments: OpenAI's stream has none, and the answer is flowing anyway.
  const stream = openSse(reply.raw, {
    headers: { ...answer.headers, 'x-request-id': request.id },
    heartbeatMs: 0,
  });
  try {
    for await (const frame of answer.frames) {
      if (!stream.write(frame)) break;
    }
  } finally {
    // Leaving the loop early (client gone) runs the producer's cleanup: upstream aborted, span recorded.
    await answer.frames.return(undefined);
    stream.end();
  }
}

/**
 * The OpenAI-compatible gateway at `/gateway/v1`, the budget API at `/api/v1/gateway/budgets` and
 * the fallback route table at `/api/v1/gateway/routes`.
 */
export async function registerGatewayRoutes(
  app: FastifyInstance,
  {
    gateway,
    budgets,
    routes,
  }: { gateway: GatewayService; budgets: BudgetService; routes: FallbackRouteService },
): Promise<void> {
  await app.register(
    async (scope) => {
      // Errors on these routes (auth, validation, ours) are also OpenAI-shaped: see errors.ts.
      installGatewayErrors(scope);
      scope.setNotFoundHandler((request, reply) =>
        sendGatewayProblem(
          request,
          reply,
          new AppError(
            'ROUTE_NOT_FOUND',
            `No route ${request.method} ${request.url.split('?')[0]}. The gateway serves POST /gateway/v1/chat/completions, POST /gateway/v1/embeddings and GET /gateway/v1/models.`,
          ),
        ),
      );
      const r = scope.withTypeProvider<ZodTypeProvider>();

      function callOf<Body>(request: FastifyRequest, body: Body, signal: AbortSignal): GatewayCall<Body> {
        const principal = principalOf(request);
        // Budgets and spend are per key: the gateway is for applications, which hold keys.
        if (principal.keyId === null) {
          throw new AppError(
            'FORBIDDEN',
            'The gateway needs an API key: send "Authorization: Bearer <key>" (create one with POST /api/v1/api-keys).',
          );
        }
        return {
          projectId: principal.projectId,
          keyId: principal.keyId,
          body,
          tags: tagsOf(request.headers),
          fallbacks: fallbacksOf(request),
          cache: cacheOf(request),
          signal,
        };
      }

      r.post('/v1/chat/completions', {
        bodyLimit: GATEWAY_BODY_LIMIT,
        schema: {
          operationId: 'gatewayChatCompletions',
          tags: ['gateway'],
          summary: 'OpenAI-compatible chat completion (streaming or not) on `<provider>/<model>`',
          description:
            "OpenAI's request and answer shapes; `stream: true` answers `text/event-stream` chunks as they arrive. `x-promptline-prompt|version|environment|variant|unit|user|session` tag the recorded span; `x-promptline-fallback` lists models tried in order when one fails (else the project's route for the model, `PUT /api/v1/gateway/routes`); `x-promptline-cache: on` (and `x-promptline-cache-ttl` seconds) caches identical requests. Errors are OpenAI-shaped (`{error:{message,type,code,param}}`).",
          body: ChatCompletionRequest,
          response: { 200: ChatCompletion, ...gatewayErrors },
        },
        handler: async (request, reply) => {
          const client = clientSignal(reply);
          try {
            const answer = await gateway.chat(callOf(request, request.body, client.signal));
            await send(request, reply, answer);
          } finally {
            client.release();
          }
          return reply;
        },
      });

      r.post('/v1/embeddings', {
        bodyLimit: GATEWAY_BODY_LIMIT,
        schema: {
          operationId: 'gatewayEmbeddings',
          tags: ['gateway'],
          summary: 'OpenAI-compatible embeddings on `<provider>/<model>`',
          body: EmbeddingsRequest,
          response: { 200: EmbeddingsResponse, ...gatewayErrors },
        },
        handler: async (request, reply) => {
          const client = clientSignal(reply);
          try {
            await send(
              request,
              reply,
              await gateway.embeddings(callOf(request, request.body, client.signal)),
            );
          } finally {
            client.release();
          }
          return reply;
        },
      });

      r.get('/v1/models', {
        schema: {
          operationId: 'gatewayListModels',
          tags: ['gateway'],
          summary: "Models reachable through the gateway: the configured providers' priced models, and mock",
          response: { 200: GatewayModelList, ...gatewayErrors },
        },
        handler: async (request) => gateway.models(principalOf(request).projectId),
      });
    },
    { prefix: '/gateway' },
  );

  const r = app.withTypeProvider<ZodTypeProvider>();
  const KeyParams = z.object({ keyId: RowIdParam });
  r.get('/api/v1/gateway/budgets', {
    config: { role: 'admin' },
    schema: {
      operationId: 'listGatewayBudgets',
      tags: ['gateway'],
      summary: 'API keys with a gateway spend budget, and what each spent today and this month (UTC)',
      response: { 200: KeyBudgetList, ...problemResponses },
    },
    handler: async (request) => ({ items: await budgets.list(principalOf(request).projectId) }),
  });
  r.get('/api/v1/gateway/budgets/:keyId', {
    config: { role: 'admin' },
    schema: {
      operationId: 'getGatewayBudget',
      tags: ['gateway'],
      summary: "A key's gateway budget and spend",
      params: KeyParams,
      response: { 200: KeyBudget, ...problemResponses },
    },
    handler: async (request) => budgets.get(principalOf(request).projectId, request.params.keyId),
  });
  r.put('/api/v1/gateway/budgets/:keyId', {
    config: { role: 'admin' },
    schema: {
      operationId: 'setGatewayBudget',
      tags: ['gateway'],
      summary: "Set a key's gateway spend budget in USD per UTC day and/or month (null removes a limit)",
      params: KeyParams,
      body: SetKeyBudgetRequest,
      response: { 200: KeyBudget, ...problemResponses },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      return budgets.set(principal.projectId, request.params.keyId, request.body, principal.name);
    },
  });
  r.delete('/api/v1/gateway/budgets/:keyId', {
    config: { role: 'admin' },
    schema: {
      operationId: 'removeGatewayBudget',
      tags: ['gateway'],
      summary: "Remove a key's gateway budget (its spend history stays)",
      params: KeyParams,
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      await budgets.remove(principal.projectId, request.params.keyId, principal.name);
      return reply.code(204).send(null);
    },
  });

  r.get('/api/v1/gateway/routes', {
    schema: {
      operationId: 'listGatewayRoutes',
      tags: ['gateway'],
      summary: "The project's fallback routes: for a model, the models tried in order when it fails",
      response: { 200: GatewayRouteList, ...problemResponses },
    },
    handler: async (request) => ({ items: await routes.list(principalOf(request).projectId) }),
  });
  r.put('/api/v1/gateway/routes', {
    config: { role: 'admin' },
    schema: {
      operationId: 'setGatewayRoute',
      tags: ['gateway'],
      summary: "Set a model's fallbacks (tried in order on 429, 5xx, timeouts and network failures)",
      description:
        'Creates or replaces the route of `model`. A call through the gateway on `model` without an `x-promptline-fallback` header falls back to `fallbacks` in order. Audited.',
      body: SetGatewayRouteRequest,
      response: { 200: GatewayRoute, ...problemResponses },
    },
    handler: async (request) => {
      const principal = principalOf(request);
      return routes.set(principal.projectId, request.body, principal.name);
    },
  });
  r.delete('/api/v1/gateway/routes', {
    config: { role: 'admin' },
    schema: {
      operationId: 'removeGatewayRoute',
      tags: ['gateway'],
      summary: "Remove a model's fallback route (`?model=<provider>/<model>`)",
      querystring: GatewayRouteQuery,
      response: { 204: z.null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      await routes.remove(principal.projectId, request.query.model, principal.name);
      return reply.code(204).send(null);
    },
  });
}
