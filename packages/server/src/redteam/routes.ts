import {
  CreateRedteamRunRequest,
  ListRedteamRunsQuery,
  RedteamCatalog,
  RedteamFindingPage,
  RedteamFindingsQuery,
  RedteamReportFormat,
  RedteamRunDetail,
  RedteamRunPage,
  RedteamRunRecord,
  RedteamUploadQuery,
  UploadedRedteamReport,
} from '@promptline/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { IMPORT_BODY_LIMIT } from '../datasets/routes.ts';
import { IdParams, PromptParams, problemResponses } from '../http/schemas.ts';
import type { RedteamService } from './service.ts';

const tags = ['redteam'];
const MEDIA: Record<RedteamReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  junit: 'application/xml; charset=utf-8',
  markdown: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/** Red-team runs: `/api/v1/prompts/{name}/redteam-runs…`, `/api/v1/redteam-runs/{id}…`, the catalogue. */
export function registerRedteamRoutes(app: FastifyInstance, { redteam }: { redteam: RedteamService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/api/v1/prompts/:name/redteam-runs', {
    schema: {
      operationId: 'createRedteamRun',
      tags,
      summary: 'Red-team a prompt version with the shipped plugins and strategies (runs in the background)',
      description:
        "Body `{version?, provider?, model?, plugins?, strategies?, failOn?, judge?, injectVar?, concurrency?}`. The model defaults to the version's config (through the project's stored credentials), else `mock`. Answers 202 with the queued run; poll GET /api/v1/redteam-runs/{id}.",
      params: PromptParams,
      body: CreateRedteamRunRequest,
      response: { 202: RedteamRunRecord, ...problemResponses },
    },
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(202)
        .send(await redteam.create(p.projectId, request.params.name, request.body, p.name));
    },
  });

  r.get('/api/v1/prompts/:name/redteam-runs', {
    schema: {
      operationId: 'listRedteamRuns',
      tags,
      summary: "A prompt's red-team runs, newest first (filter by version or status)",
      params: PromptParams,
      querystring: ListRedteamRunsQuery,
      response: { 200: RedteamRunPage, ...problemResponses },
    },
    handler: async (request) =>
      redteam.list(principalOf(request).projectId, request.params.name, request.query),
  });

  r.post('/api/v1/prompts/:name/redteam-runs/import', {
    schema: {
      operationId: 'importRedteamRun',
      tags,
      summary:
        'Upload a finished CLI run (the JSON report `promptline redteam -o report.json` writes) for a version',
      description:
        "The verdict is recomputed from the findings at the report's `failOn`. `promptline redteam <prompt> --upload` sends it. It counts for the environment gate like a server run.",
      params: PromptParams,
      querystring: RedteamUploadQuery,
      body: UploadedRedteamReport,
      response: { 201: RedteamRunRecord, ...problemResponses },
    },
    bodyLimit: IMPORT_BODY_LIMIT,
    handler: async (request, reply) => {
      const p = principalOf(request);
      return reply
        .code(201)
        .send(
          await redteam.importReport(
            p.projectId,
            request.params.name,
            request.query.version,
            request.body,
            p.name,
          ),
        );
    },
  });

  r.get('/api/v1/redteam-runs/:id', {
    schema: {
      operationId: 'getRedteamRun',
      tags,
      summary: 'Status, progress, counts by severity, plugin and OWASP category, and the verdict',
      params: IdParams,
      response: { 200: RedteamRunDetail, ...problemResponses },
    },
    handler: async (request) => redteam.get(principalOf(request).projectId, request.params.id),
  });

  r.get('/api/v1/redteam-runs/:id/findings', {
    schema: {
      operationId: 'listRedteamFindings',
      tags,
      summary: 'Findings of a run in probe order, paged (filter by severity or plugin)',
      params: IdParams,
      querystring: RedteamFindingsQuery,
      response: { 200: RedteamFindingPage, ...problemResponses },
    },
    handler: async (request) =>
      redteam.findings(principalOf(request).projectId, request.params.id, request.query),
  });

  r.get('/api/v1/redteam-runs/:id/report', {
    schema: {
      operationId: 'downloadRedteamReport',
      tags,
      summary: "The run's report in the CLI's formats: json (default), junit, markdown or html",
      params: IdParams,
      querystring: z.object({ format: RedteamReportFormat.default('json') }),
      response: { 200: z.string().describe('The report file'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const { body, fileName } = await redteam.report(
        principalOf(request).projectId,
        request.params.id,
        request.query.format,
      );
      // Sent as text: the schema only documents it.
      return (reply as FastifyReply)
        .type(MEDIA[request.query.format])
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .serializer((payload: unknown) => String(payload))
        .send(body);
    },
  });

  r.post('/api/v1/redteam-runs/:id/cancel', {
    schema: {
      operationId: 'cancelRedteamRun',
      tags,
      summary: 'Cancel a queued or running run (findings so far are kept)',
      params: IdParams,
      response: { 200: RedteamRunRecord, ...problemResponses },
    },
    handler: async (request) => {
      const p = principalOf(request);
      return redteam.cancel(p.projectId, request.params.id, p.name);
    },
  });

  r.get('/api/v1/redteam/catalog', {
    schema: {
      operationId: 'getRedteamCatalog',
      tags,
      summary: 'The shipped red-team plugins and strategies (for pickers)',
      response: { 200: RedteamCatalog, ...problemResponses },
    },
    handler: async () => redteam.catalog(),
  });
}
