import { AppError, titleForCode } from '@promptline/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toAppError } from '../http/problem.ts';

/** OpenAI's error body: what the `openai` SDKs read into `APIError` (`message`, `type`, `code`, `param`). */
export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

/** OpenAI's error `type` for a status. */
export function errorTypeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export function openAiError(
  status: number,
  message: string,
  code: string | null = null,
  param: string | null = null,
): OpenAiErrorBody {
  return { error: { message, type: errorTypeOf(status), code, param } };
}

/** OpenAI's codes for the refusals a client of theirs already handles. */
const OPENAI_CODES: Partial<Record<string, string>> = {
  GATEWAY_BUDGET_EXHAUSTED: 'insufficient_quota',
  UNAUTHORIZED: 'invalid_api_key',
  VALIDATION_FAILED: 'invalid_request',
  ROUTE_NOT_FOUND: 'unknown_url',
  PROVIDER_NOT_CONFIGURED: 'model_not_found',
};

/**
 * The gateway's own refusals: one body both kinds of client read — an RFC 9457 problem (the same
 * members and `code` as everywhere else in Promptline, `application/problem+json`) that also
 * carries OpenAI's `error` object, which the `openai` SDKs parse whatever the content type.
 */
export function sendGatewayProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  error: AppError,
): FastifyReply {
  const param = error.errors?.[0]?.path;
  const body = {
    error: {
      message: error.message,
      type: error.code === 'GATEWAY_BUDGET_EXHAUSTED' ? 'insufficient_quota' : errorTypeOf(error.status),
      code: OPENAI_CODES[error.code] ?? error.code.toLowerCase(),
      param: param === undefined || param === '' ? null : param,
    },
    type: `https://promptline.dev/problems/${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: titleForCode(error.code),
    status: error.status,
    detail: error.message,
    code: error.code,
    instance: request.url.split('?')[0],
    requestId: request.id,
    ...(error.errors && error.errors.length > 0 ? { errors: error.errors } : {}),
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  };
  return reply.code(error.status).type('application/problem+json').send(JSON.stringify(body));
}

/** Makes every error of the gateway's routes (auth, validation, ours) OpenAI-readable. */
export function installGatewayErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendGatewayProblem(
        request,
        reply,
        new AppError(
          'PAYLOAD_TOO_LARGE',
          'The request body is larger than the gateway accepts (16 MiB). Send a smaller body.',
        ),
      );
    }
    const { appError, unexpected } = toAppError(error);
    if (unexpected) request.log.error({ err: error, requestId: request.id }, 'gateway request failed');
    return sendGatewayProblem(request, reply, appError);
  });
}
