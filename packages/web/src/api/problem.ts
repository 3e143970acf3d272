/** A failed API call, carrying the server's problem document (RFC 9457) so pages can show it. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly requestId: string | undefined;
  readonly errors: { path: string; message: string }[];

  constructor(init: {
    status: number;
    code: string;
    title: string;
    detail: string;
    requestId?: string | undefined;
    errors?: { path: string; message: string }[] | undefined;
  }) {
    super(init.detail || init.title);
    this.name = 'ApiProblem';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.errors = init.errors ?? [];
  }
}

function readString(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.length > 0 ? value : fallback;
}

/**
 * Builds an {@link ApiProblem} from a response body. Bodies that are not problem documents (a proxy's
 * HTML error page, an empty 502) still give a readable message instead of a blank page.
 */
export function problemFromBody(status: number, body: unknown, statusText = ''): ApiProblem {
  if (body && typeof body === 'object') {
    const doc = body as Record<string, unknown>;
    const errors = Array.isArray(doc.errors)
      ? doc.errors.flatMap((e) =>
          e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string'
            ? [
                {
                  path: String((e as { path?: unknown }).path ?? ''),
                  message: (e as { message: string }).message,
                },
              ]
            : [],
        )
      : [];
    return new ApiProblem({
      status,
      code: readString(doc.code, status === 0 ? 'NETWORK_ERROR' : `HTTP_${status}`),
      title: readString(doc.title, statusText || `Request failed with status ${status}`),
      detail: readString(doc.detail, readString(doc.message, '')),
      requestId: typeof doc.requestId === 'string' ? doc.requestId : undefined,
      errors,
    });
  }
  return new ApiProblem({
    status,
    code: status === 0 ? 'NETWORK_ERROR' : `HTTP_${status}`,
    title: statusText || `Request failed with status ${status}`,
    detail: typeof body === 'string' ? body.slice(0, 300) : '',
  });
}

/** Any thrown value as a problem, so error views have one shape to draw. */
export function toProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiProblem({ status: 0, code: 'CLIENT_ERROR', title: 'Something went wrong', detail: message });
}
