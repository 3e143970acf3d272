import { AppError, isAppError } from '../errors.ts';
import { redactError, redactSecrets } from './redact.ts';
import type { HttpResponse, HttpTransport } from './types.ts';

/** What one call to a provider needs to talk HTTP: who it is, when to stop, how to retry. */
export interface CallContext {
  provider: string;
  /** Aborts on the caller's cancellation or on the whole-call timeout. */
  signal: AbortSignal;
  callerSignal: AbortSignal | undefined;
  /** True once the whole-call timeout has fired. */
  timedOut(): boolean;
  /**
   * Ends the call's bookkeeping: clears the timeout and detaches from the caller's signal. Every
   * caller of `openCall` calls it when the call settles (result, error, stream end or cancel).
   */
  dispose(): void;
  timeoutMs: number;
  maxRetries: number;
  baseDelayMs: number;
  startedAt: number;
  /** Sends the requests (default `fetch`). */
  transport: HttpTransport | undefined;
  /**
   * What no error of this call may show (`secretsOf` its settings): {@link toProviderError} and the
   * refusal {@link postJson} answers redact them — the one place every provider error passes.
   */
  secrets: readonly string[];
}

export interface CallOptions {
  provider: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  maxRetries: number;
  baseDelayMs: number;
  transport?: HttpTransport | undefined;
  secrets?: readonly string[] | undefined;
}

/** Turns a provider's error body into its human message (each wire format nests it differently). */
export type ErrorMessageReader = (body: unknown) => string | undefined;

const MAX_BACKOFF_MS = 20_000;
// A server asking us to come back in more than a minute is better answered with an error now.
const MAX_RETRY_AFTER_MS = 60_000;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  529: 'Overloaded',
};

/**
 * Starts a call: one controller aborted by the caller's signal or by a timer. `dispose()` must be
 * called when the call settles.
 */
export function openCall(options: CallOptions): CallContext {
  // Not AbortSignal.timeout + AbortSignal.any: their timer cannot be cleared, so every finished
  // call stayed reachable (~1.5 KB) until its timeout fired — 10 minutes by default.
  const controller = new AbortController();
  const caller = options.signal;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(
      new DOMException(`The call did not finish within ${options.timeoutMs} ms`, 'TimeoutError'),
    );
  }, options.timeoutMs);
  const onCallerAbort = () => controller.abort(caller?.reason);
  if (caller?.aborted) onCallerAbort();
  else caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    provider: options.provider,
    signal: controller.signal,
    callerSignal: caller,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      // A long-lived caller signal (a whole eval run) would otherwise collect one listener per call.
      caller?.removeEventListener('abort', onCallerAbort);
    },
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    baseDelayMs: options.baseDelayMs,
    startedAt: performance.now(),
    transport: options.transport,
    secrets: options.secrets ?? [],
  };
}

/** Retry on rate limits and server failures; any other 4xx would fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * POSTs JSON and answers the first successful response, retrying 429/5xx and network failures
 * with exponential backoff and full jitter, or after the server's `Retry-After`.
 *
 * @throws AppError `PROVIDER_ERROR` when the provider refuses or fails for good; the caller's
 * abort reason when it cancels.
 */
export async function postJson(
  ctx: CallContext,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  readMessage: ErrorMessageReader,
  /**
   * Answer the final refusal (after retries) as a response instead of throwing, its body already
   * read: the gateway passes a provider's own error body and status on to its client.
   */
  options: { returnRefusal?: boolean } = {},
): Promise<HttpResponse> {
  const payload = JSON.stringify(body);
  const send: HttpTransport = ctx.transport ?? fetch;
  for (let attempt = 0; ; attempt++) {
    const retriesLeft = attempt < ctx.maxRetries;
    let response: HttpResponse;
    try {
      response = await send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
        signal: ctx.signal,
      });
    } catch (error) {
      if (ctx.signal.aborted || !retriesLeft) throw toProviderError(ctx, error, attempt);
      await sleep(ctx, backoff(ctx.baseDelayMs, attempt));
      continue;
    }
    if (response.ok) return response;

    const text = await response.text().catch((error: unknown) => {
      throw toProviderError(ctx, error, attempt);
    });
    const retryable = isRetryableStatus(response.status);
    const retryAfter = retryAfterMs(response.headers);
    if (retryable && retriesLeft && (retryAfter === null || retryAfter <= MAX_RETRY_AFTER_MS)) {
      await sleep(ctx, retryAfter ?? backoff(ctx.baseDelayMs, attempt));
      continue;
    }
    // The provider's own words leave here only with the call's secrets taken out (an upstream may echo them).
    const said = redactSecrets(text, ctx.secrets);
    if (options.returnRefusal) return refusal(response, said);
    throw httpError(ctx.provider, response.status, response.statusText, said, readMessage, attempt);
  }
}

function refusal(response: HttpResponse, text: string): HttpResponse {
  return {
    ok: false,
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: null,
    text: async () => text,
  };
}

/** Reads a JSON body, turning a cut connection or a timeout into the right error. */
export async function readJson(ctx: CallContext, response: HttpResponse): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw toProviderError(ctx, error, 0);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError(
      'PROVIDER_ERROR',
      `${ctx.provider} answered with a body that is not JSON (${text.slice(0, 120)}). Check the base URL: it should point at the API, not at a web page.`,
      { details: { provider: ctx.provider, status: response.status, retryable: false } },
    );
  }
}

/** Full-jitter exponential backoff: a random wait up to base·2ⁿ, capped. */
export function backoff(baseMs: number, attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
}

/** `Retry-After` (seconds or an HTTP date) or OpenAI's `retry-after-ms`, in ms; null when absent. */
export function retryAfterMs(headers: HttpResponse['headers'], now = Date.now()): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts (or at once if it has). */
export function delay(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function sleep(ctx: CallContext, ms: number): Promise<void> {
  return delay(ctx.signal, ms).catch((reason: unknown) => {
    throw toProviderError(ctx, reason, 0);
  });
}

function advice(status: number, retries: number): string {
  const retried = retries > 0 ? ` (retried ${retries} time${retries === 1 ? '' : 's'})` : '';
  if (status === 401 || status === 403) return 'Check the provider credentials of this project.';
  if (status === 404) return 'Check the model name and the base URL of the provider.';
  if (status === 402) return "Check the billing of the provider's account.";
  if (status === 429)
    return `The provider is rate limiting this key${retried}. Wait a moment and try again, or raise the limit with the provider.`;
  if (status >= 500) return `The provider failed${retried}. Try again later.`;
  return 'Check the request: model, parameters, response format and tools.';
}

/** The error for a refused HTTP call: provider, status, the provider's own words and what to do. */
export function httpError(
  provider: string,
  status: number,
  statusText: string,
  body: string,
  readMessage: ErrorMessageReader,
  retries: number,
): AppError {
  let message: string | undefined;
  try {
    message = readMessage(JSON.parse(body));
  } catch {
    // Not JSON: the raw body (trimmed) is the message below.
    message = undefined;
  }
  message ??= body.trim().slice(0, 300);
  const reason = statusText || STATUS_TEXT[status] || '';
  const said = message === '' ? '' : `: ${message.replace(/[.\s]+$/, '')}`;
  return new AppError(
    'PROVIDER_ERROR',
    `${provider} answered ${status}${reason === '' ? '' : ` ${reason}`}${said}. ${advice(status, retries)}`,
    { details: { provider, status, retryable: isRetryableStatus(status) } },
  );
}

/** An error the provider reported inside a stream that had already begun. */
export function streamError(provider: string, message: string): AppError {
  return new AppError(
    'PROVIDER_ERROR',
    `${provider} failed in the middle of the answer: ${message.replace(/[.\s]+$/, '')}. Try again.`,
    { details: { provider, status: null, retryable: true } },
  );
}

/**
 * Maps whatever broke a call to what the caller should see: its own abort reason when it
 * cancelled, a timeout error, or a network error; AppErrors pass through. Every error a provider
 * client throws comes through here, so this is where the call's secrets are redacted from it
 * (message, hint, details and cause chain; see redact.ts).
 */
export function toProviderError(ctx: CallContext, error: unknown, retries: number): unknown {
  if (ctx.callerSignal?.aborted) return ctx.callerSignal.reason;
  return redactError(describeFailure(ctx, error, retries), ctx.secrets);
}

function describeFailure(ctx: CallContext, error: unknown, retries: number): unknown {
  if (ctx.timedOut()) {
    return new AppError(
      'PROVIDER_TIMEOUT',
      `${ctx.provider} did not finish within ${ctx.timeoutMs} ms. Raise timeoutMs, ask for a shorter answer, or try again.`,
      { details: { provider: ctx.provider, status: null, retryable: true, timeout: true } },
    );
  }
  if (isAppError(error)) return error;
  const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : undefined;
  const detail = cause === undefined ? String(error) : cause.message;
  const retried = retries > 0 ? ` after ${retries + 1} attempts` : '';
  return new AppError(
    'PROVIDER_ERROR',
    `${ctx.provider} could not be reached${retried} (${detail}). Check the base URL and the network, then try again.`,
    { cause: error, details: { provider: ctx.provider, status: null, retryable: true } },
  );
}
