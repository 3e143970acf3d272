import {
  AppError,
  CreateScoreRequest,
  ListTracesQuery,
  MAX_SPANS_PER_BATCH,
  MAX_TRACE_BATCH_BYTES,
  Score,
  TraceBatch,
  TraceBatchAccepted,
  TraceDetail,
  TracePage,
  TraceParams,
  TraceSettings,
} from '@promptline/core';
import type { FastifyInstance, preValidationHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { TraceService } from './service.ts';
import type { TraceSettingsService } from './settings.ts';

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
  { traces, settings }: { traces: TraceService; settings: TraceSettingsService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

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
