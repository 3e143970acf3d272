import {
  AppError,
  CreateScoreRequest,
  FeedbackRequest,
  FeedbackToken,
  ListTracesQuery,
  MAX_SPANS_PER_BATCH,
  MAX_TRACE_BATCH_BYTES,
  MintFeedbackTokenRequest,
  Score,
  TraceBatch,
  TraceBatchAccepted,
  TraceDetail,
  TracePage,
  TraceParams,
  TraceSettings,
  TraceTailQuery,
  TraceUsers,
  TraceUsersQuery,
} from '@promptline/core';
import type { FastifyInstance, preValidationHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import { openSse, type SseStream } from '../http/sse.ts';
import type { FeedbackTokens } from './feedback.ts';
import type { TraceService } from './service.ts';
import type { TraceSettingsService } from './settings.ts';
import { type TraceTail, tailEvents } from './tail.ts';

/** A tail client that has not read this much is cut off (it reconnects and reloads the list). */
const TAIL_MAX_BUFFERED_BYTES = 1 << 20;

const tags = ['traces'];

/** Too many spans is a size limit (413), said before zod lists a thousand field errors. */
const refuseOversizedBatch: preValidationHookHandler = (request, _reply, done) => {
  const spans = (request.body as { spans?: unknown } | undefined)?.spans;
  if (Array.isArray(spans) && spans.length > MAX_SPANS_PER_BATCH) {
    return done(
      new AppError(
        'TRACE_BATCH_TOO_LARGE',
        `The batch has ${spans.length} spans; at most ${MAX_SPANS_PER_BATCH} are accepted at once. Nothing was stored; split it into smaller batches.`,
        { details: { maxSpans: MAX_SPANS_PER_BATCH } },
      ),
    );
  }
  done();
};

/** Native trace ingestion and reading back: `/api/v1/traces…`. */
export function registerTraceRoutes(
  app: FastifyInstance,
  {
    traces,
    settings,
    tail,
    feedback,
  }: { traces: TraceService; settings: TraceSettingsService; tail: TraceTail; feedback: FeedbackTokens },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/traces/:traceId/feedback-tokens', {
    schema: {
      operationId: 'mintFeedbackToken',
      tags,
      summary:
        'A short-lived, write-only token a browser may use to score this trace (POST /api/v1/feedback)',
      params: TraceParams,
      body: MintFeedbackTokenRequest,
      response: { 201: FeedbackToken, ...problemResponses },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(feedback.mint(principalOf(request).projectId, request.params.traceId, request.body)),
  });

  // Called from any origin by a page holding a token (never a key): CORS allows it, without credentials.
  const cors = { 'access-control-allow-origin': '*' };
  app.options('/api/v1/feedback', { config: { public: true } }, async (_request, reply) =>
    reply
      .code(204)
      .headers({
        ...cors,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type',
        'access-control-max-age': '86400',
      })
      .send(),
  );
  r.post('/api/v1/feedback', {
    config: { public: true },
    schema: {
      operationId: 'sendFeedback',
      tags,
      summary:
        'User feedback from a browser: a score (source user) on the trace of a feedback token, no API key',
      body: FeedbackRequest,
      response: { 201: Score, ...problemResponses },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .headers(cors)
        .send(await feedback.redeem(request.body)),
  });
  const openTails = new Set<SseStream>();
  // Open streams would hold server.close() until their clients leave.
  app.addHook('onClose', async () => {
    for (const stream of openTails) stream.end();
  });

  r.get('/api/v1/traces/tail', {
    schema: {
      operationId: 'tailTraces',
      tags,
      summary:
        'Server-sent events: the spans of this project as they are stored, filtered like the trace list',
      description:
        'Answers `text/event-stream` (ask with `Accept: text/event-stream`, else `406 NOT_ACCEPTABLE`): a `ready` event, then one `spans` event per trace that received spans (data: `TraceTailEvent`, `{ traceId, spans: [...] }`) once their batch is durable, and a `: heartbeat` comment every 15 s. Filters are checked span by span; `q` looks in the span’s name, input and output.',
      querystring: TraceTailQuery,
      response: { 200: z.string().describe('text/event-stream'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const { projectId } = principalOf(request);
      if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
        throw new AppError(
          'NOT_ACCEPTABLE',
          'This route streams server-sent events: send `Accept: text/event-stream` (an EventSource does). To list traces, use GET /api/v1/traces.',
        );
      }
      const query = request.query;
      reply.hijack();
      const stream = openSse(reply.raw, {
        headers: { 'x-request-id': request.id },
        retryMs: 2_000,
        maxBufferedBytes: TAIL_MAX_BUFFERED_BYTES,
      });
      openTails.add(stream);
      const unsubscribe = tail.subscribe(projectId, (spans) => {
        for (const event of tailEvents(query, spans)) stream.send('spans', event);
      });
      stream.signal.addEventListener('abort', () => {
        unsubscribe();
        openTails.delete(stream);
      });
      stream.send('ready', {});
    },
  });

  r.post('/api/v1/traces', {
    bodyLimit: MAX_TRACE_BATCH_BYTES,
    preValidation: refuseOversizedBatch,
    schema: {
      operationId: 'ingestTraces',
      tags,
      summary: `Store a batch of spans (≤ ${MAX_SPANS_PER_BATCH} spans, ≤ 5 MiB); answered once durable, all or nothing`,
      body: TraceBatch,
      response: { 202: TraceBatchAccepted, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      // @promptline/sdk says so in a header: its spans read back as `source: 'sdk'`.
      const source = request.headers['x-promptline-source'] === 'sdk' ? 'sdk' : 'api';
      return reply.code(202).send(await traces.ingest(p.projectId, request.body.spans, source));
    },
  });

  r.get('/api/v1/traces', {
    schema: {
      operationId: 'listTraces',
      tags,
      summary: 'List traces newest first (one row per trace: its root span and totals), filtered and paged',
      querystring: ListTracesQuery,
      response: { 200: TracePage, ...problemResponses },
    },
    handler: async (request) => traces.list(principalOf(request).projectId, request.query),
  });

  r.get('/api/v1/traces/users', {
    schema: {
      operationId: 'listTraceUsers',
      tags,
      summary:
        'End users over a window (default the last 7 days): traces, errors, tokens and cost each, most costly first',
      querystring: TraceUsersQuery,
      response: { 200: TraceUsers, ...problemResponses },
    },
    handler: async (request) => traces.users(principalOf(request).projectId, request.query),
  });

  r.get('/api/v1/traces/:traceId', {
    schema: {
      operationId: 'getTrace',
      tags,
      summary: 'Get a trace: its spans as a tree (depth first, with parent ids) and their scores',
      params: TraceParams,
      response: { 200: TraceDetail, ...problemResponses },
    },
    handler: async (request) => traces.get(principalOf(request).projectId, request.params.traceId),
  });

  r.post('/api/v1/scores', {
    schema: {
      operationId: 'createScore',
      tags,
      summary: 'Score a span (or, without spanId, the trace’s first span with a prompt); the span must exist',
      body: CreateScoreRequest,
      response: { 201: Score, ...problemResponses },
    },
    handler: async (request, reply) =>
      reply.code(201).send(await traces.score(principalOf(request).projectId, request.body)),
  });

  r.get('/api/v1/traces/settings', {
    schema: {
      operationId: 'getTraceSettings',
      tags,
      summary: 'How long this project keeps spans',
      response: { 200: TraceSettings, ...problemResponses },
    },
    handler: async (request) => settings.get(principalOf(request).projectId),
  });

  r.put('/api/v1/traces/settings', {
    config: { role: 'admin' },
    schema: {
      operationId: 'updateTraceSettings',
      tags,
      summary: 'Change how long this project keeps spans (older spans are removed by the retention job)',
      body: TraceSettings,
      response: { 200: TraceSettings, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return settings.set(p.projectId, request.body, p.name);
    },
  });
}
