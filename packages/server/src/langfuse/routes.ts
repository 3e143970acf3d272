/**
 * Langfuse-compatible routes under `/api/public`: the prompt API (v2) and trace ingestion, so the
 * Langfuse SDKs work with `baseUrl` set to Promptline's root and a Promptline key as `secretKey`
 * (HTTP Basic auth; the user name, Langfuse's public key, is ignored). Errors stay problem+json
 * with our stable `code`, plus the `message` and `error` fields Langfuse's SDKs read.
 */
import {
  AppError,
  LangfuseCreatePromptRequest,
  LangfuseGetPromptQuery,
  LangfuseIngestionRequest,
  LangfuseIngestionResponse,
  LangfuseListPromptsQuery,
  LangfusePrompt,
  LangfusePromptMetaList,
  LangfuseUpdateLabelsRequest,
  LangfuseVersionParams,
  MAX_TRACE_BATCH_BYTES,
} from '@promptline/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/hook.ts';
import { sendProblem, toAppError } from '../http/problem.ts';
import { problemResponses } from '../http/schemas.ts';
import type { LangfuseIngestionService } from './ingestion.ts';
import type { LangfusePromptService } from './prompts.ts';

const tags = ['langfuse'];

/** The error class names Langfuse answers with, by status (its SDKs log them). */
function langfuseErrorName(status: number): string {
  if (status === 401) return 'UnauthorizedError';
  if (status === 403) return 'ForbiddenError';
  if (status === 404) return 'LangfuseNotFoundError';
  if (status === 405) return 'MethodNotAllowedError';
  if (status === 409) return 'LangfuseConflictError';
  if (status < 500) return 'InvalidRequestError';
  return 'InternalServerError';
}

/** Our problem+json with Langfuse's `message` (what its SDKs throw) and `error` beside `detail`. */
export function sendLangfuseProblem(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { appError, unexpected } = toAppError(error as FastifyError, request.routeOptions.bodyLimit);
  if (unexpected) request.log.error({ err: error, requestId: request.id }, 'request failed');
  const withMessage = new AppError(appError.code, appError.message, {
    errors: appError.errors,
    hint: appError.hint,
    details: { ...appError.details, message: appError.message, error: langfuseErrorName(appError.status) },
  });
  return sendProblem(request, reply, withMessage);
}

export function registerLangfuseRoutes(
  app: FastifyInstance,
  { prompts, ingestion }: { prompts: LangfusePromptService; ingestion: LangfuseIngestionService },
): void {
  app.register(async (scope) => {
    // Auth errors of the onRequest hook reach this scope's handler too: Langfuse-shaped throughout.
    scope.setErrorHandler(sendLangfuseProblem);
    const r = scope.withTypeProvider<ZodTypeProvider>();
    const config = { basicAuth: true };
    const params = z.object({ name: z.string().min(1) });

    r.get('/api/public/v2/prompts/:name', {
      config,
      schema: {
        operationId: 'langfuseGetPrompt',
        tags,
        summary:
          'Langfuse: a prompt version by label (an environment; default production; `latest`) or version',
        params,
        querystring: LangfuseGetPromptQuery,
        response: { 200: LangfusePrompt, ...problemResponses },
      },
      handler: async (request) =>
        prompts.get(principalOf(request).projectId, request.params.name, request.query),
    });

    r.get('/api/public/v2/prompts', {
      config,
      schema: {
        operationId: 'langfuseListPrompts',
        tags,
        summary: 'Langfuse: prompts with their versions and labels, filtered and paged',
        querystring: LangfuseListPromptsQuery,
        response: { 200: LangfusePromptMetaList, ...problemResponses },
      },
      handler: async (request) => {
        const { page, limit } = request.query;
        const { data, totalItems } = await prompts.list(principalOf(request).projectId, request.query);
        return { data, meta: { page, limit, totalItems, totalPages: Math.ceil(totalItems / limit) } };
      },
    });

    r.post('/api/public/v2/prompts', {
      config,
      schema: {
        operationId: 'langfuseCreatePrompt',
        tags,
        summary:
          'Langfuse: save a prompt version; its labels deploy it to those environments (their policies apply)',
        body: LangfuseCreatePromptRequest,
        response: { 201: LangfusePrompt, ...problemResponses },
      },
      handler: async (request, reply) => {
        const p = principalOf(request);
        return reply.code(201).send(await prompts.create(p.projectId, request.body, p.name));
      },
    });

    r.patch('/api/public/v2/prompts/:name/versions/:version', {
      config,
      schema: {
        operationId: 'langfuseUpdatePromptLabels',
        tags,
        summary: 'Langfuse: move labels (environments) to this version, a deploy per label',
        params: LangfuseVersionParams,
        body: LangfuseUpdateLabelsRequest,
        response: { 200: LangfusePrompt, ...problemResponses },
      },
      handler: async (request) => {
        const p = principalOf(request);
        const { name, version } = request.params;
        return prompts.setLabels(p.projectId, name, version, request.body.newLabels, p.name);
      },
    });

    r.post('/api/public/ingestion', {
      config,
      bodyLimit: MAX_TRACE_BATCH_BYTES,
      schema: {
        operationId: 'langfuseIngestion',
        tags,
        summary:
          'Langfuse: a batch of tracing events mapped onto spans and scores; 207 with a result per event',
        body: LangfuseIngestionRequest,
        response: { 207: LangfuseIngestionResponse, ...problemResponses },
      },
      handler: async (request, reply) => {
        const p = principalOf(request);
        return reply.code(207).send(await ingestion.ingest(p.projectId, request.body.batch));
      },
    });
  });
}
