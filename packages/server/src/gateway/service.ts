import {
  AppError,
  type ChatCompletionRequest,
  type EmbeddingsRequest,
  type GatewayModelList,
  isAppError,
} from '@promptline/core';
import type { FastifyBaseLogger } from 'fastify';
import type { ProviderService } from '../providers/service.ts';
import type { BudgetService } from './budgets.ts';
import { type CachedAnswer, cacheKey, type ResponseCache } from './cache.ts';
import { callEmbeddings } from './embeddings.ts';
import { type OpenAiErrorBody, openAiError } from './errors.ts';
import type { FallbackRouteService } from './fallback-routes.ts';
import type { SpanRecorder } from './recorder.ts';
import { type GatewayTags, type SpanFacts, spanOf } from './spans.ts';
import { createTargetResolver } from './targets.ts';
import { type CallResult, callChat, refusalOf, type Target, type UpstreamAnswer } from './upstream.ts';

/** One call as the route hands it over. */
export interface GatewayCall<Body> {
  projectId: number;
  keyId: number;
  body: Body;
  tags: GatewayTags;
  /**
   * Models to try in order after `body.model` fails (`x-promptline-fallback`); null: the project's
   * fallback route for the model, if any.
   */
  fallbacks: string[] | null;
  /** Opt-in response cache (`x-promptline-cache: on`), with the answer's time to live. */
  cache: { ttlMs: number } | null;
  /** Aborted when the client goes away: the upstream call stops with it. */
  signal: AbortSignal;
}

/** What the route writes: a whole answer, or SSE frames as they come. */
export type GatewayResponse =
  | { kind: 'json'; status: number; body: string; headers: Record<string, string> }
  | { kind: 'stream'; headers: Record<string, string>; frames: AsyncGenerator<string> };

/** nginx's "client closed request": recorded on the span, never sent (nobody is listening). */
const CLIENT_CLOSED = 499;

function clientLeft(): UpstreamAnswer {
  const message = 'the client disconnected before the answer began';
  return {
    kind: 'refused',
    status: CLIENT_CLOSED,
    body: openAiError(CLIENT_CLOSED, message),
    message,
    fallback: false,
  };
}

/** Largest streamed answer kept by the cache (bigger ones are simply not cached). */
const MAX_CACHED_STREAM_BYTES = 1024 * 1024;

export interface GatewayServiceDeps {
  providers: ProviderService;
  budgets: BudgetService;
  recorder: SpanRecorder;
  cache: ResponseCache;
  routes: FallbackRouteService;
  logger: FastifyBaseLogger;
  /** How long resolved provider settings are reused (default 5 s). */
  settingsTtlMs?: number;
}

interface Attempt {
  target: Target | null;
  answer: UpstreamAnswer;
}

/** The models a call tries in order, and how long each has to begin its answer. */
interface Plan {
  chain: string[];
  timeoutMs: number | null;
}

/**
 * The signal of one attempt: the client's, plus the route's timeout until the answer begins
 * (`clear()` once it has: a stream that began is never cut by it).
 */
function attemptDeadline(client: AbortSignal, timeoutMs: number | null) {
  if (timeoutMs === null) return { signal: client, expired: () => false, clear() {} };
  const controller = new AbortController();
  let expired = false;
  const onClient = () => controller.abort(client.reason);
  client.addEventListener('abort', onClient, { once: true });
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException(`no answer began within ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  return {
    signal: controller.signal,
    expired: () => expired,
    clear() {
      clearTimeout(timer);
    },
  };
}

/** A model that did not begin its answer within the route's timeout: the next one is tried. */
function timedOut(label: string, plan: Plan): UpstreamAnswer {
  const message = `${label} did not begin its answer within ${plan.timeoutMs} ms (the gateway route's timeoutMs)`;
  return { kind: 'refused', status: 504, body: openAiError(504, message), message, fallback: true };
}

/**
 * The gateway's rules: budget check, response cache, the model and its fallbacks in order, span
 * recording and spend — everything but HTTP.
 */
export function createGatewayService(deps: GatewayServiceDeps) {
  const { budgets, recorder, cache } = deps;
  const targets = createTargetResolver(deps.providers, deps.settingsTtlMs ?? 5_000);

  /**
   * The model, then the call's fallbacks or else the project's route for the model; and the
   * route's time each attempt has to begin its answer.
   */
  async function planOf(call: GatewayCall<{ model: string }>): Promise<Plan> {
    const { model } = call.body;
    const rule = await deps.routes.ruleFor(call.projectId, model);
    const fallbacks = call.fallbacks ?? rule?.fallbacks ?? [];
    return {
      chain: fallbacks.length === 0 ? [model] : [...new Set([model, ...fallbacks])],
      timeoutMs: rule?.timeoutMs ?? null,
    };
  }

  /** Tries each model until one answers or refuses for a reason another model would share. */
  async function firstAnswer(
    projectId: number,
    plan: Plan,
    signal: AbortSignal,
    call: (target: Target, signal: AbortSignal) => Promise<UpstreamAnswer>,
  ): Promise<{ attempt: Attempt; attempts: number }> {
    const { chain } = plan;
    let last: Attempt | undefined;
    for (const [index, label] of chain.entries()) {
      let target: Target | null = null;
      let attempt: Attempt;
      const deadline = attemptDeadline(signal, plan.timeoutMs);
      try {
        target = await targets.resolve(projectId, label);
        attempt = { target, answer: await call(target, deadline.signal) };
      } catch (error) {
        if (signal.aborted) {
          // The client left before an answer began: nothing to send, but the span says so.
          return { attempt: { target, answer: clientLeft() }, attempts: index + 1 };
        }
        // A model that is not configured is a refusal like any other: the next one may be.
        if (!isAppError(error) && !deadline.expired()) throw error;
        attempt = { target, answer: isAppError(error) ? refusalOf(error) : timedOut(label, plan) };
      } finally {
        deadline.clear();
      }
      if (deadline.expired() && attempt.answer.kind === 'refused') attempt.answer = timedOut(label, plan);
      last = attempt;
      if (attempt.answer.kind !== 'refused' || !attempt.answer.fallback) {
        return { attempt, attempts: index + 1 };
      }
    }
    if (last === undefined) throw new Error('a gateway call needs at least one model');
    return { attempt: last, attempts: chain.length };
  }

  /**
   * Records the span of a call once its answer is on its way: the facts are taken now, the span
   * (ids, bounded copies of input and output) is built after this turn of the event loop, where it
   * no longer delays the response that is being written.
   */
  function record(projectId: number, facts: SpanFacts): void {
    setImmediate(() => {
      try {
        recorder.record(projectId, spanOf(facts));
      } catch (error) {
        // Building the span must not fail anything else either.
        deps.logger.error({ err: error }, 'gateway: building a span failed');
      }
    });
  }

  function refusedResponse(
    status: number,
    body: OpenAiErrorBody,
    headers: Record<string, string>,
  ): GatewayResponse {
    return { kind: 'json', status, body: JSON.stringify(body), headers };
  }

  function answeredBy(target: Target | null) {
    return target === null ? null : { provider: target.provider, model: target.model, label: target.label };
  }

  function cachedResponse(hit: CachedAnswer, stream: boolean): GatewayResponse {
    const headers = { 'x-promptline-cache-status': 'hit', 'x-promptline-model': hit.target };
    if (!stream) return { kind: 'json', status: 200, body: hit.body.toString('utf8'), headers };
    async function* frames(): AsyncGenerator<string> {
      yield hit.body.toString('utf8');
    }
    return { kind: 'stream', headers, frames: frames() };
  }

  const zeroResult = (model: string): CallResult => ({
    model,
    text: '',
    toolCalls: [],
    finishReason: null,
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, estimated: false },
    costUsd: 0,
    timeToFirstTokenMs: null,
  });

  return {
    /** `POST /gateway/v1/chat/completions`. @throws AppError GATEWAY_BUDGET_EXHAUSTED */
    async chat(call: GatewayCall<ChatCompletionRequest>): Promise<GatewayResponse> {
      const startMs = Date.now();
      const started = performance.now();
      await budgets.check(call.keyId);
      const stream = call.body.stream === true;
      const plan = await planOf(call);
      const { chain } = plan;
      const facts = (
        over: Partial<SpanFacts> & Pick<SpanFacts, 'status' | 'answered' | 'cache' | 'attempts'>,
      ): SpanFacts => ({
        operation: 'chat',
        tags: call.tags,
        requested: call.body.model,
        startMs,
        durationMs: performance.now() - started,
        input: call.body.messages,
        stream,
        keyId: call.keyId,
        ...over,
      });

      const key = call.cache === null ? null : cacheKey(call.projectId, 'chat', { body: call.body, chain });
      const hit = key === null ? undefined : cache.get(key);
      if (hit !== undefined) {
        record(
          call.projectId,
          facts({
            status: 200,
            answered: { provider: hit.provider, model: hit.model, label: hit.target },
            cache: 'hit',
            attempts: 0,
            result: zeroResult(hit.model),
          }),
        );
        return cachedResponse(hit, stream);
      }
      const cacheStatus = key === null ? 'off' : 'miss';
      const baseHeaders: Record<string, string> = key === null ? {} : { 'x-promptline-cache-status': 'miss' };

      const { attempt, attempts } = await firstAnswer(call.projectId, plan, call.signal, (target, signal) =>
        callChat(target, call.body, signal),
      );
      const { answer, target } = attempt;
      const answered = answeredBy(target);
      if (target !== null) baseHeaders['x-promptline-model'] = target.label;

      if (answer.kind === 'refused') {
        record(
          call.projectId,
          facts({ status: answer.status, answered, cache: cacheStatus, attempts, error: answer.message }),
        );
        // The gateway's own refusal is a problem (with OpenAI's error object); an upstream's passes as it came.
        if (answer.problem !== undefined) throw answer.problem;
        return refusedResponse(answer.status, answer.body, { ...answer.headers, ...baseHeaders });
      }
      // Only a refusal leaves target null.
      const used = target as Target;
      if (answer.kind === 'json') {
        const { result } = answer;
        budgets.charge(call.keyId, result.costUsd ?? 0);
        record(call.projectId, facts({ status: 200, answered, cache: cacheStatus, attempts, result }));
        if (key !== null && call.cache !== null) {
          cache.set(
            key,
            {
              contentType: 'application/json',
              body: Buffer.from(answer.body),
              target: used.label,
              provider: used.provider,
              model: result.model,
            },
            call.cache.ttlMs,
          );
        }
        return {
          kind: 'json',
          status: 200,
          body: answer.body,
          headers: { ...baseHeaders, ...answer.headers },
        };
      }

      const cacheTtl = call.cache?.ttlMs;
      async function* frames(): AsyncGenerator<string> {
        const kept: string[] = [];
        let keptBytes = 0;
        let complete = false;
        try {
          for await (const frame of answer.kind === 'stream' ? answer.frames : []) {
            if (key !== null && keptBytes <= MAX_CACHED_STREAM_BYTES) {
              kept.push(frame);
              keptBytes += frame.length;
            }
            yield frame;
          }
          complete = true;
        } finally {
          // Also runs when the client left (the route calls return()): the upstream stops first.
          if (answer.kind === 'stream') {
            await answer.frames.return(undefined);
            const result = answer.result();
            budgets.charge(call.keyId, result.costUsd ?? 0);
            record(
              call.projectId,
              facts({
                status: 200,
                answered,
                cache: cacheStatus,
                attempts,
                result,
                ...(result.error === undefined ? {} : { error: result.error }),
              }),
            );
            if (
              complete &&
              result.error === undefined &&
              key !== null &&
              cacheTtl !== undefined &&
              keptBytes <= MAX_CACHED_STREAM_BYTES
            ) {
              cache.set(
                key,
                {
                  contentType: 'text/event-stream',
                  body: Buffer.from(kept.join('')),
                  target: used.label,
                  provider: used.provider,
                  model: result.model,
                },
                cacheTtl,
              );
            }
          }
        }
      }
      return { kind: 'stream', headers: { ...baseHeaders, ...answer.headers }, frames: frames() };
    },

    /** `POST /gateway/v1/embeddings`. @throws AppError GATEWAY_BUDGET_EXHAUSTED */
    async embeddings(call: GatewayCall<EmbeddingsRequest>): Promise<GatewayResponse> {
      const startMs = Date.now();
      const started = performance.now();
      await budgets.check(call.keyId);
      const plan = await planOf(call);
      const { chain } = plan;
      const key =
        call.cache === null ? null : cacheKey(call.projectId, 'embeddings', { body: call.body, chain });
      const base = {
        operation: 'embeddings' as const,
        tags: call.tags,
        requested: call.body.model,
        startMs,
        stream: false,
        keyId: call.keyId,
        input: call.body.input,
      };
      const hit = key === null ? undefined : cache.get(key);
      if (hit !== undefined) {
        record(call.projectId, {
          ...base,
          durationMs: performance.now() - started,
          status: 200,
          answered: { provider: hit.provider, model: hit.model, label: hit.target },
          cache: 'hit',
          attempts: 0,
          result: zeroResult(hit.model),
        });
        return cachedResponse(hit, false);
      }
      const { attempt, attempts } = await firstAnswer(call.projectId, plan, call.signal, (target, signal) =>
        callEmbeddings(target, call.body, signal),
      );
      const { answer, target } = attempt;
      const headers: Record<string, string> = key === null ? {} : { 'x-promptline-cache-status': 'miss' };
      if (target !== null) headers['x-promptline-model'] = target.label;
      const cacheStatus = key === null ? 'off' : 'miss';
      const durationMs = performance.now() - started;
      if (answer.kind === 'refused') {
        record(call.projectId, {
          ...base,
          durationMs,
          status: answer.status,
          answered: answeredBy(target),
          cache: cacheStatus,
          attempts,
          error: answer.message,
        });
        if (answer.problem !== undefined) throw answer.problem;
        return refusedResponse(answer.status, answer.body, { ...answer.headers, ...headers });
      }
      if (answer.kind !== 'json' || target === null) {
        throw new AppError('INTERNAL', 'An embeddings call answered with a stream.');
      }
      budgets.charge(call.keyId, answer.result.costUsd ?? 0);
      record(call.projectId, {
        ...base,
        durationMs,
        status: 200,
        answered: answeredBy(target),
        cache: cacheStatus,
        attempts,
        result: answer.result,
      });
      if (key !== null && call.cache !== null) {
        cache.set(
          key,
          {
            contentType: 'application/json',
            body: Buffer.from(answer.body),
            target: target.label,
            provider: target.provider,
            model: answer.result.model,
          },
          call.cache.ttlMs,
        );
      }
      return { kind: 'json', status: 200, body: answer.body, headers: { ...headers, ...answer.headers } };
    },

    /** `GET /gateway/v1/models`: `<provider>/<model>` for each configured provider's priced models, and `mock/mock`. */
    async models(projectId: number): Promise<GatewayModelList> {
      const [configured, prices] = await Promise.all([
        deps.providers.list(projectId),
        deps.providers.prices(projectId),
      ]);
      const entries = [...prices.items, ...prices.defaults];
      const ids = new Set<string>(['mock/mock']);
      for (const provider of configured) {
        if (!provider.configured || provider.kind === 'mock') continue;
        for (const entry of entries) {
          if (entry.pattern.includes('*')) continue;
          if (entry.provider === provider.provider || entry.provider === provider.kind)
            ids.add(`${provider.provider}/${entry.pattern}`);
        }
      }
      return {
        object: 'list',
        data: [...ids]
          .sort()
          .map((id) => ({ id, object: 'model' as const, created: 0, owned_by: id.split('/')[0] ?? '' })),
      };
    },
  };
}

export type GatewayService = ReturnType<typeof createGatewayService>;
