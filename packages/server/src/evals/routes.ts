import { setTimeout as sleep } from 'node:timers/promises';
import {
  AppError,
  CompareQuery,
  CreateEvalRunRequest,
  EvalComparison,
  EvalResultPage,
  EvalResultsQuery,
  EvalRun,
  EvalRunPage,
  ListEvalRunsQuery,
  PromptName,
  PromptThresholds,
} from '@promptline/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { IMPORT_BODY_LIMIT, installTextParsers } from '../datasets/routes.ts';
import { IdParams, PromptParams, problemResponses } from '../http/schemas.ts';
import { openSse } from '../http/sse.ts';
import type { EvalService } from './service.ts';
import { FINAL_STATUSES } from './store.ts';
import { resultsFromJson, resultsFromJsonl } from './upload-format.ts';

const tags = ['evals'];
/** How often the progress stream looks for new results (they are written in batches every 250 ms). */
const STREAM_POLL_MS = 200;

/** Eval runs (`/api/v1/eval-runs…`) and per-prompt thresholds (`/api/v1/prompts/{name}/thresholds`). */
export function registerEvalRoutes(app: FastifyInstance, { evals }: { evals: EvalService }): void {
  app.register(async (scope) => {
    installTextParsers(scope);
    const r = scope.withTypeProvider<ZodTypeProvider>();

    r.post('/api/v1/eval-runs', {
      schema: {
        operationId: 'createEvalRun',
        tags,
        summary: 'Start an eval run over a dataset revision (runs in the background)',
        description:
          'Evaluates prompt versions (or what `env` serves) × models × dataset items × repeats. Answers 202 with the queued run; follow it with GET /api/v1/eval-runs/{id}/events.',
        body: CreateEvalRunRequest,
        response: { 202: EvalRun, ...problemResponses },
      },
      handler: async (request, reply) => {
        const p = principalOf(request);
        return reply.code(202).send(await evals.create(p.projectId, request.body, p.name));
      },
    });

    r.get('/api/v1/eval-runs', {
      schema: {
        operationId: 'listEvalRuns',
        tags,
        summary: 'List eval runs, newest first (filter by prompt or status)',
        querystring: ListEvalRunsQuery,
        response: { 200: EvalRunPage, ...problemResponses },
      },
      handler: async (request) => evals.list(principalOf(request).projectId, request.query),
    });

    r.post('/api/v1/eval-runs/import', {
      schema: {
        operationId: 'importEvalRun',
        tags,
        summary: 'Upload a finished local run (the JSON or JSONL `promptline eval -o` writes)',
        querystring: z.object({ prompt: PromptName.optional() }),
        consumes: ['application/json', 'application/x-ndjson'],
        response: { 201: EvalRun, ...problemResponses },
      },
      bodyLimit: IMPORT_BODY_LIMIT,
      handler: async (request, reply) => {
        const p = principalOf(request);
        const body: unknown = request.body;
        const results = typeof body === 'string' ? resultsFromJsonl(body) : resultsFromJson(body);
        const run = await evals.importCliRun(p.projectId, results, {
          prompt: request.query.prompt,
          actor: p.name,
        });
        return reply.code(201).send(run);
      },
    });

    r.get('/api/v1/eval-runs/:id', {
      schema: {
        operationId: 'getEvalRun',
        tags,
        summary:
          'Status, progress, and (once finished) the summary per version × model with threshold verdicts',
        params: IdParams,
        response: { 200: EvalRun, ...problemResponses },
      },
      handler: async (request) => evals.get(principalOf(request).projectId, request.params.id),
    });

    r.get('/api/v1/eval-runs/:id/results', {
      schema: {
        operationId: 'listEvalResults',
        tags,
        summary: 'Graded cells of a run, paged (filter `status=failed`, `version`, `model`)',
        params: IdParams,
        querystring: EvalResultsQuery,
        response: { 200: EvalResultPage, ...problemResponses },
      },
      handler: async (request) =>
        evals.results(principalOf(request).projectId, request.params.id, request.query),
    });

    r.post('/api/v1/eval-runs/:id/cancel', {
      schema: {
        operationId: 'cancelEvalRun',
        tags,
        summary: 'Cancel a queued or running run (results so far are kept)',
        params: IdParams,
        response: { 200: EvalRun, ...problemResponses },
      },
      handler: async (request) => {
        const p = principalOf(request);
        return evals.cancel(p.projectId, request.params.id, p.name);
      },
    });

    r.get('/api/v1/eval-runs/:id/compare', {
      schema: {
        operationId: 'compareEvalRuns',
        tags,
        summary: 'Regressions, fixes and score deltas against a baseline run',
        params: IdParams,
        querystring: CompareQuery,
        response: { 200: EvalComparison, ...problemResponses },
      },
      handler: async (request) =>
        evals.compare(principalOf(request).projectId, request.params.id, request.query.baseline),
    });

    r.get('/api/v1/eval-runs/:id/events', {
      schema: {
        operationId: 'streamEvalRun',
        tags,
        summary: 'Server-sent events: `progress`, `result` (one per graded cell), then `end`',
        description:
          'Each `result` event carries the result id as its SSE id; reconnect with Last-Event-ID to resume. `end` carries the final status and threshold verdicts.',
        params: IdParams,
        response: { 200: z.string().describe('text/event-stream'), ...problemResponses },
      },
      handler: async (request, reply) => {
        const { projectId } = principalOf(request);
        const id = request.params.id;
        await evals.get(projectId, id);
        const resume = Number(request.headers['last-event-id']);
        let after = Number.isInteger(resume) && resume > 0 ? resume : 0;
        reply.hijack();
        // The shared writer: SSE headers, heartbeats while a slow run makes no progress, disconnects.
        const stream = openSse(reply.raw, { headers: { 'x-request-id': request.id } });
        const send = (event: string, data: unknown, eventId?: number) => {
          stream.send(event, data, eventId);
        };
        let lastProgress = '';
        try {
          while (stream.open) {
            // The run is read before its results: once it is final, every result is already stored.
            const run = await evals.get(projectId, id);
            for (;;) {
              const rows = await evals.resultsAfter(id, after, 500);
              for (const row of rows) {
                send(
                  'result',
                  {
                    id: row.id,
                    caseIndex: row.caseIndex,
                    itemId: row.itemId,
                    repeat: row.repeat,
                    version: row.version,
                    model: row.model,
                    pass: row.pass,
                    score: row.score,
                    error: row.error,
                    latencyMs: row.latencyMs,
                    costUsd: row.costUsd,
                  },
                  row.id,
                );
                after = row.id;
              }
              if (rows.length < 500) break;
            }
            const progress = JSON.stringify(run.progress);
            if (progress !== lastProgress) {
              send('progress', run.progress);
              lastProgress = progress;
            }
            if (FINAL_STATUSES.includes(run.status)) {
              send('end', {
                status: run.status,
                thresholdsMet: run.thresholdsMet,
                verdicts: run.verdicts,
                error: run.error,
              });
              break;
            }
            await sleep(STREAM_POLL_MS);
          }
        } catch (error) {
          request.log.error({ err: error }, 'eval run stream failed');
          if (stream.open)
            send('error', {
              detail: error instanceof AppError ? error.message : 'The stream failed; reconnect.',
            });
        } finally {
          stream.end();
        }
      },
    });

    r.get('/api/v1/prompts/:name/thresholds', {
      schema: {
        operationId: 'getPromptThresholds',
        tags,
        summary: 'Quality thresholds every eval run of this prompt is checked against',
        params: PromptParams,
        response: { 200: PromptThresholds, ...problemResponses },
      },
      handler: async (request) => evals.getThresholds(principalOf(request).projectId, request.params.name),
    });

    r.put('/api/v1/prompts/:name/thresholds', {
      schema: {
        operationId: 'putPromptThresholds',
        tags,
        summary: 'Set a prompt’s quality thresholds (replaces them; `{}` clears)',
        params: PromptParams,
        body: PromptThresholds,
        response: { 200: PromptThresholds, ...problemResponses },
      },
      handler: async (request) => {
        const p = principalOf(request);
        return evals.putThresholds(p.projectId, request.params.name, request.body, p.name);
      },
    });
  });
}
