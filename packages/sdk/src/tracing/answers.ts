/**
 * How the exporter reads the server's answers and sizes what it sends: which failures are worth
 * a retry, how long `Retry-After` asks to wait, which spans a validation problem names, and the
 * UTF-8 size of a serialised item (the batch limit is in bytes).
 */
import { AppError } from '@promptline/core';

export const BATCH_OVERHEAD = '{"spans":[]}'.length;
// JSON.stringify escapes control characters, so serialised items hold printable ASCII or beyond.
const BEYOND_ASCII = /[^ -~]/;
const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return BEYOND_ASCII.test(text) ? encoder.encode(text).length : text.length;
}

export function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

/** `Retry-After` in ms (seconds or an HTTP date), undefined when absent or unreadable. */
export function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Indices of the batch's spans a validation problem names (`spans.3.name` → 3). */
export function namedIndices(error: AppError, size: number): Set<number> {
  const indices = new Set<number>();
  for (const issue of error.errors ?? []) {
    const match = /^(?:body\.)?spans[.[](\d+)/.exec(issue.path);
    const index = match === null ? Number.NaN : Number(match[1]);
    if (index >= 0 && index < size) indices.add(index);
  }
  return indices;
}

/** The refusal, saying how many items it cost. */
export function withDropped(error: AppError, count: number, what: 'span' | 'score'): AppError {
  return new AppError(error.code, `${error.message} Dropped ${count} ${what}(s): the server refused them.`, {
    details: { ...error.details, [`${what}s`]: count },
    ...(error.errors === undefined ? {} : { errors: error.errors }),
    cause: error,
  });
}
