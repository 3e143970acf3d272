/**
 * How the SDK names what went wrong talking to the server: the same `AppError` codes the server
 * uses, with a message that says what to check. Shared by snapshot loading and trace export.
 */
import { AppError, type ErrorCode, type FieldIssue, isErrorCode } from '@promptline/core';

/** The server could not be reached (refused, reset, timed out). */
export function unreachable(url: string, operation: string, cause: unknown): AppError {
  // Node's fetch says only "fetch failed"; the socket error (ECONNREFUSED…) is its cause.
  const inner = cause instanceof Error ? (cause.cause as { code?: unknown } | undefined) : undefined;
  const reason =
    cause instanceof Error
      ? cause.name === 'TimeoutError'
        ? 'timed out'
        : typeof inner?.code === 'string'
          ? `${cause.message}: ${inner.code}`
          : cause.message
      : String(cause);
  return new AppError(
    'SERVER_UNREACHABLE',
    `Could not reach Promptline at ${url} (${operation}: ${reason}). Check the client's \`url\` and that the server is running; the client keeps serving what it has in memory meanwhile.`,
    { cause, details: { operation } },
  );
}

/** What a 404 means for the caller: the code it maps to and what to check. */
export interface NotFoundMeaning {
  code: ErrorCode;
  hint: string;
}

const ENVIRONMENT_NOT_FOUND: NotFoundMeaning = {
  code: 'ENVIRONMENT_NOT_FOUND',
  hint: ' Check the `environment` given to createClient.',
};

/** Turns a non-2xx answer into an AppError; reads the problem+json body when there is one. */
export async function httpError(
  response: Response,
  operation: string,
  notFound: NotFoundMeaning = ENVIRONMENT_NOT_FOUND,
): Promise<AppError> {
  let code: ErrorCode | undefined;
  let detail = response.statusText;
  let errors: FieldIssue[] | undefined;
  try {
    const body = (await response.json()) as { code?: unknown; detail?: unknown; errors?: unknown };
    if (isErrorCode(body.code)) code = body.code;
    if (typeof body.detail === 'string') detail = body.detail;
    if (Array.isArray(body.errors)) errors = body.errors as FieldIssue[];
  } catch {
    // Not problem+json: the status says enough.
  }
  // A body without one of our codes (a proxy's error page): name the condition by its status.
  const byStatus: Record<number, ErrorCode> = {
    400: 'BAD_REQUEST',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: notFound.code,
    413: 'PAYLOAD_TOO_LARGE',
    414: 'URI_TOO_LONG',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    422: 'VALIDATION_FAILED',
    429: 'RATE_LIMITED',
    431: 'HEADERS_TOO_LARGE',
    502: 'SERVER_UNREACHABLE',
    503: 'SERVER_UNREACHABLE',
    504: 'SERVER_UNREACHABLE',
  };
  const hint =
    response.status === 401 || response.status === 403
      ? ' Check the `apiKey` given to createClient (create one with `promptline keys create`).'
      : response.status === 404
        ? notFound.hint
        : '';
  return new AppError(
    code ?? byStatus[response.status] ?? (response.status < 500 ? 'BAD_REQUEST' : 'INTERNAL'),
    `Promptline answered ${response.status} to ${operation}: ${detail}.${hint}`,
    { details: { operation, httpStatus: response.status }, ...(errors === undefined ? {} : { errors }) },
  );
}
