/**
 * The three ways a CLI run can fail, each with its own exit code so scripts can tell them apart:
 * the server answered with a problem (1), the command line was wrong (2), the server could not be
 * reached at all (3).
 */
import type { FieldIssue } from '@promptline/core';

/** Exit codes of the `promptline` command. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  unreachable: 3,
  /** `push` (or `push --dry-run`): done, but the folder and the registry still differ (files behind, prompts without a file). */
  drift: 4,
} as const;

/** The command line was wrong: unknown option, missing argument, unreadable file. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The server answered with an `application/problem+json` document (or another non-2xx response).
 * Carries the problem's stable `code`, so scripts and tests can match on it. Exit code 1.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: string;
  readonly status: number;
  readonly errors: FieldIssue[];
  readonly requestId: string | undefined;

  constructor(
    code: string,
    status: number,
    detail: string,
    options: { errors?: FieldIssue[]; requestId?: string | undefined } = {},
  ) {
    super(detail);
    this.code = code;
    this.status = status;
    this.errors = options.errors ?? [];
    this.requestId = options.requestId;
  }
}

/** No HTTP answer at all: connection refused, DNS failure, timeout. Exit code 3. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
  readonly url: string;

  constructor(url: string, cause: unknown) {
    super(
      `cannot reach the Promptline server at ${url} (${describeCause(cause)}). ` +
        'Start it with `npm start` or `promptline up`, or point PROMPTLINE_URL (or --url) at a running server.',
      { cause },
    );
    this.url = url;
  }
}

function describeCause(cause: unknown): string {
  // fetch wraps the socket error: "fetch failed" with the useful part in `cause.code`.
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    if (inner && typeof inner === 'object' && 'code' in inner && typeof inner.code === 'string')
      return inner.code;
    if (inner instanceof Error) return inner.message;
    // node:http (http.ts) rejects with the socket's error itself.
    if ('code' in cause && typeof cause.code === 'string') return cause.code;
    if (cause.name === 'TimeoutError') return 'timed out';
    return cause.message;
  }
  return String(cause);
}
