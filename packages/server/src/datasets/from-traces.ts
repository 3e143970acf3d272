/**
 * "Add to dataset" from production: spans chosen by id or by a trace filter become dataset items
 * in one new revision (the dataset created on request), each item carrying the span's variables,
 * its input and output as metadata, by default its output as the expected answer, and its trace id
 * as `sourceTraceId`. Reaches traces and datasets through their services.
 */
import {
  type DatasetItemInput,
  DatasetName,
  isAppError,
  type TraceSpan,
  TracesToDatasetRequest,
  TracesToDatasetResult,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { problemResponses } from '../http/schemas.ts';
import type { TraceService } from '../traces/service.ts';
import type { DatasetService } from './service.ts';

/** The span a trace contributes: the one named, else its first span with a prompt, else its first. */
function pickSpan(spans: readonly TraceSpan[], spanId: string | undefined): TraceSpan | undefined {
  if (spanId !== undefined) return spans.find((s) => s.spanId === spanId);
  return spans.find((s) => s.prompt !== undefined && s.prompt !== null) ?? spans[0];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function itemOf(traceId: string, span: TraceSpan, expected: unknown, useOutput: boolean): DatasetItemInput {
  const metadata: Record<string, unknown> = { spanId: span.spanId, spanName: span.name };
  if (span.input !== undefined) metadata.input = span.input;
  if (span.output !== undefined) metadata.output = span.output;
  if (span.prompt) metadata.prompt = span.prompt;
  if (span.model) metadata.model = span.model;
  if (span.status === 'error') metadata.status = 'error';
  const chosen = expected !== undefined ? expected : useOutput ? span.output : undefined;
  return {
    variables: isRecord(span.variables) ? span.variables : {},
    ...(chosen === undefined || chosen === null ? {} : { expected: chosen }),
    metadata,
    sourceTraceId: traceId,
  } as DatasetItemInput;
}

export function createTracesToDataset({
  traces,
  datasets,
}: {
  traces: TraceService;
  datasets: DatasetService;
}) {
  return {
    /** @throws AppError DATASET_NOT_FOUND (without `create`), VALIDATION_FAILED */
    async add(
      projectId: number,
      dataset: string,
      request: TracesToDatasetRequest,
      actor: string,
    ): Promise<TracesToDatasetResult> {
      let picks: { traceId: string; spanId?: string | undefined; expected?: unknown }[] =
        request.traces ?? [];
      if (request.filter) {
        picks = [];
        let cursor: string | undefined;
        while (picks.length < request.limit) {
          const page = await traces.list(projectId, {
            ...request.filter,
            limit: Math.min(200, request.limit - picks.length),
            ...(cursor ? { cursor } : {}),
          });
          picks.push(...page.items.map((t) => ({ traceId: t.traceId })));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
      }
      const items: DatasetItemInput[] = [];
      const skipped: TracesToDatasetResult['skipped'] = [];
      for (const pick of picks) {
        let spans: TraceSpan[];
        try {
          spans = (await traces.get(projectId, pick.traceId)).spans;
        } catch (error) {
          if (!isAppError(error) || error.code !== 'TRACE_NOT_FOUND') throw error;
          skipped.push({
            traceId: pick.traceId,
            reason: 'no such trace (older than retention, or not sent)',
          });
          continue;
        }
        const span = pickSpan(spans, pick.spanId);
        if (!span) {
          skipped.push({ traceId: pick.traceId, reason: `the trace has no span ${pick.spanId}` });
          continue;
        }
        items.push(itemOf(pick.traceId, span, pick.expected, request.expected === 'output'));
      }
      if (items.length === 0) {
        return { dataset, revision: null, created: false, items: [], skipped };
      }
      const written = await datasets.addItemsCreating(
        projectId,
        dataset,
        items,
        { create: request.create, description: request.description },
        actor,
      );
      return { dataset, revision: written.revision, created: written.created, items: written.items, skipped };
    },
  };
}

export type TracesToDataset = ReturnType<typeof createTracesToDataset>;

/** `POST /api/v1/datasets/{name}/items/from-traces`. */
export function registerTracesToDatasetRoute(
  app: FastifyInstance,
  { fromTraces }: { fromTraces: TracesToDataset },
) {
  app.withTypeProvider<ZodTypeProvider>().post('/api/v1/datasets/:name/items/from-traces', {
    config: { role: 'editor' },
    schema: {
      operationId: 'addTracesToDataset',
      tags: ['datasets'],
      summary:
        'Turn production spans (by id, or every trace a filter matches) into dataset items linked to their traces',
      description:
        'Each item: the span’s `variables`, its input and output in `metadata`, its output as `expected` (unless `expected: "none"` or a per-trace override), `sourceTraceId`. One new dataset revision; `create: true` creates the dataset.',
      params: z.object({ name: DatasetName }),
      body: TracesToDatasetRequest,
      response: { 201: TracesToDatasetResult, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(await fromTraces.add(p.projectId, request.params.name, request.body, p.name));
    },
  });
}
