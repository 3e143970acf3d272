import {
  AppError,
  type ErrorCode,
  type FieldIssue,
  isAppError,
  MAX_NAME_LENGTH,
  titleForCode,
} from '@promptline/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

const PROBLEM_TYPE_BASE = 'https://promptline.dev/problems/';

/** Sends an RFC 9457 problem document. Pre-serialised: no route schema can reshape it. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const body: Record<string, unknown> = {
    ...(error.details ?? {}),
    type: `${PROBLEM_TYPE_BASE}${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: titleForCode(error.code),
    status: error.status,
    detail: error.message,
    code: error.code,
    instance: request.url.split('?')[0],
    requestId: request.id,
  };
  if (error.errors && error.errors.length > 0) body.errors = error.errors;
  if (error.hint !== undefined) body.hint = error.hint;
  return reply.code(error.status).type('application/problem+json').send(JSON.stringify(body));
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

/** Our code for a 4xx status the framework raised by itself. */
const CLIENT_ERROR_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};

function fieldPath(context: string | undefined, instancePath: string): string {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  // Body fields are named as the client wrote them; query and path fields say where they live.
  if (!context || context === 'body') return path;
  return path ? `${context}.${path}` : context;
}

/** Turns whatever was thrown into the AppError the client sees. Unknown errors become INTERNAL. */
export function toAppError(
  error: unknown,
  /** The body limit of the route that failed (bytes), to name it in a 413. */
  bodyLimit = 1024 * 1024,
): { appError: AppError; unexpected: boolean } {
  if (isAppError(error)) return { appError: error, unexpected: error.status >= 500 };
  const e = error as FastifyError & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(e)) {
    const errors: FieldIssue[] = e.validation.map((issue) => ({
      path: fieldPath(e.validationContext, issue.instancePath),
      message: issue.message ?? 'is invalid',
    }));
    const where = e.validationContext === 'querystring' ? 'query' : (e.validationContext ?? 'request');
    return {
      appError: new AppError(
        'VALIDATION_FAILED',
        `The ${where} is invalid: ${errors.map((x) => (x.path ? `${x.path}: ${x.message}` : x.message)).join('; ')}. Fix these fields and retry.`,
        { errors },
      ),
      unexpected: false,
    };
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      appError: new AppError(
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than ${formatBytes(bodyLimit)}, the most this route accepts. Send a smaller body.`,
      ),
      unexpected: false,
    };
  }
  if (
    e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    (error instanceof SyntaxError && e.statusCode === 400)
  ) {
    return {
      appError: new AppError(
        'MALFORMED_JSON',
        `The request body is not valid JSON${e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? ' (it is empty)' : `: ${e.message}`}. Send a JSON document with Content-Type: application/json.`,
      ),
      unexpected: false,
    };
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      appError: new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `This route does not accept that Content-Type. Send JSON with Content-Type: application/json.`,
      ),
      unexpected: false,
    };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Any other client error the framework raises gets our code for its status, never the framework's.
    const code: ErrorCode = CLIENT_ERROR_CODES[e.statusCode] ?? 'BAD_REQUEST';
    return { appError: new AppError(code, e.message), unexpected: false };
  }
  return {
    appError: new AppError(
      'INTERNAL',
      'Something went wrong on the server. Retry; if it persists, report the requestId.',
    ),
    unexpected: true,
  };
}

/** The problem for a path parameter longer than any name Promptline accepts. */
export function overlongParameter(): AppError {
  return new AppError(
    'URI_TOO_LONG',
    `A path parameter is longer than any name Promptline accepts (${MAX_NAME_LENGTH} characters). Use a shorter name.`,
  );
}

function hasOverlongSegment(url: string): boolean {
  return (url.split('?')[0] ?? '').split('/').some((segment) => {
    if (segment.length <= MAX_NAME_LENGTH) return false;
    try {
      return decodeURIComponent(segment).length > MAX_NAME_LENGTH;
    } catch {
      return true; // Undecodable and too long either way.
    }
  });
}

/** Installs the one error handler and the not-found handler: every failure is problem+json. */
export function installProblemHandlers(
  app: FastifyInstance,
  /** Told about each request no route matched, once its problem is sent (request metrics). */
  options: { onNotFound?: (request: FastifyRequest, reply: FastifyReply) => void } = {},
): void {
  app.setErrorHandler((error, request, reply) => {
    const { appError, unexpected } = toAppError(error, request.routeOptions.bodyLimit);
    if (unexpected) request.log.error({ err: error, requestId: request.id }, 'request failed');
    return sendProblem(request, reply, appError);
  });
  app.setNotFoundHandler((request, reply) => {
    // A segment longer than any name: the router found no route because of its length; say so.
    const sent = hasOverlongSegment(request.url)
      ? sendProblem(request, reply, overlongParameter())
      : sendProblem(
          request,
          reply,
          new AppError(
            'ROUTE_NOT_FOUND',
            `No route ${request.method} ${request.url.split('?')[0]}. See the API reference at /docs (prompt names containing "/" must be URL-encoded).`,
          ),
        );
    options.onNotFound?.(request, reply);
    return sent;
  });
}
