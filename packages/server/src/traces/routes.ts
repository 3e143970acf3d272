import {
  AppError,
  MAX_SPANS_PER_BATCH,
  MAX_TRACE_BATCH_BYTES,
  TraceBatch,
  TraceBatchAccepted,
} from '@promptline/core';
import type { FastifyInstance, preValidationHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { TraceService } from './service.ts';

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
export function registerTraceRoutes(app: FastifyInstance, { traces }: { traces: TraceService }): void {
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
      return reply.code(202).send(await traces.ingest(p.projectId, request.body.spans, 'api'));
    },
  });
}
