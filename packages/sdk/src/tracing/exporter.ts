/**
 * Background export of spans and scores: serialised items wait in bounded queues and are sent by
 * one worker — a batch when the queue reaches the batch size, and everything on each interval
 * tick, on `flush()` and on `close()`. Network errors, 408, 429 and 5xx are retried with jittered
 * backoff (honouring `Retry-After`); a batch the server refuses is dropped, except the spans it
 * did not name when it says which ones were wrong. Nothing here throws to the caller: every
 * failure goes to `onError`, and every dropped item is counted.
 */
import { AppError, MAX_SPANS_PER_BATCH, MAX_TRACE_BATCH_BYTES } from '@promptline/core';
import { createBackoff } from '../backoff.ts';
import { httpError, unreachable } from '../http-errors.ts';
import {
  BATCH_OVERHEAD,
  namedIndices,
  retryAfterMs,
  retryable,
  unref,
  utf8Length,
  withDropped,
} from './answers.ts';
import { Ring } from './ring.ts';

export interface ExporterOptions {
  /** Server base URL without a trailing slash. */
  baseUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  onError: (error: AppError) => void;
  flushIntervalMs: number;
  maxBatchSize: number;
  maxQueueSize: number;
  requestTimeoutMs: number;
  retry: { baseMs: number; maxMs: number };
}

/** Counters of the export so far. */
export interface ExportStats {
  /** Spans waiting (or being sent). */
  queued: number;
  /** Spans the server acknowledged. */
  sent: number;
  /** Spans given up: the queue was full (oldest first), the server refused them, or close() timed out. */
  dropped: number;
  /** Scores waiting, acknowledged and given up. */
  scoresQueued: number;
  scoresSent: number;
  scoresDropped: number;
}

export interface Exporter {
  addSpan(json: string): void;
  addScore(json: string): void;
  /** Sends everything queued; true once it is all acknowledged, false at the deadline. */
  flush(timeoutMs: number): Promise<boolean>;
  /** Flushes, stops the timers and drops (counting) what could not be sent. */
  close(timeoutMs: number): Promise<boolean>;
  stats(): ExportStats;
}

type Outcome = 'sent' | 'retry';

/** Starts nothing until the first item arrives: a client that never traces costs no timer. */
export function createExporter(options: ExporterOptions): Exporter {
  const maxBatch = Math.max(1, Math.min(options.maxBatchSize, MAX_SPANS_PER_BATCH));
  const spans = new Ring<string>(Math.max(1, options.maxQueueSize));
  const scores = new Ring<string>(Math.max(1, Math.min(options.maxQueueSize, 10_000)));
  /** Halves of a refused batch that named no span, tried before the queue (bisecting to the bad span). */
  const splits: string[][] = [];
  const backoff = createBackoff(options.retry);
  const headers = {
    authorization: `Bearer ${options.apiKey}`,
    'content-type': 'application/json',
    // The server records the spans' source from it (`sdk` rather than `api`).
    'x-promptline-source': 'sdk',
  };
  const stats = { sent: 0, dropped: 0, scoresSent: 0, scoresDropped: 0 };
  let inFlight = 0;
  let overflowSpans = 0;
  let overflowScores = 0;
  let retryAt = 0;
  let running: Promise<void> | undefined;
  let interval: ReturnType<typeof setInterval> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let kick: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  function report(error: AppError): void {
    try {
      options.onError(error);
    } catch {
      // A throwing handler must not stop the export.
    }
  }

  /** Overflow drops are reported in one error per tick, not one per span. */
  function reportOverflow(): void {
    if (overflowSpans === 0 && overflowScores === 0) return;
    const what = [
      overflowSpans > 0 ? `${overflowSpans} span(s)` : '',
      overflowScores > 0 ? `${overflowScores} score(s)` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    report(
      new AppError(
        'TELEMETRY_DROPPED',
        `Dropped ${what}, oldest first: the export queue holds at most ${spans.capacity} spans and the server has not taken them fast enough (is it reachable?). Raise \`tracing.maxQueueSize\` or check the server.`,
        { details: { spans: overflowSpans, scores: overflowScores, totalDropped: stats.dropped } },
      ),
    );
    overflowSpans = 0;
    overflowScores = 0;
  }

  let toldAfterClose = false;
  /** Said once: a recorder used after close() would otherwise report on every call. */
  function afterClose(what: 'span' | 'score'): void {
    if (toldAfterClose) return;
    toldAfterClose = true;
    report(
      new AppError(
        'TELEMETRY_DROPPED',
        `A ${what} was recorded after close(): it is dropped, as is everything recorded from now on. Record before closing the client.`,
        { details: { afterClose: true } },
      ),
    );
  }

  function ensureInterval(): void {
    if (interval !== undefined || closed) return;
    interval = setInterval(() => {
      reportOverflow();
      void pump();
    }, options.flushIntervalMs);
    // Never keeps a process alive: an application that exits without close() loses at most one interval.
    unref(interval);
  }

  function dropSpans(count: number): void {
    stats.dropped += count;
    overflowSpans += count;
  }

  /** Puts a batch back in front after a failed attempt; what no longer fits is the oldest and goes. */
  function requeue(batch: readonly string[]): void {
    for (let i = batch.length - 1; i >= 0; i--) {
      if (!spans.unshift(batch[i] as string)) {
        dropSpans(i + 1);
        return;
      }
    }
  }

  function takeBatch(): string[] {
    const split = splits.shift();
    if (split !== undefined) return split;
    const batch: string[] = [];
    let bytes = BATCH_OVERHEAD;
    while (batch.length < maxBatch) {
      const next = spans.peek();
      if (next === undefined) break;
      const size = utf8Length(next) + 1;
      if (batch.length > 0 && bytes + size > MAX_TRACE_BATCH_BYTES) break;
      spans.shift();
      batch.push(next);
      bytes += size;
    }
    return batch;
  }

  async function post(path: string, body: string): Promise<Response> {
    return options.fetch(`${options.baseUrl}${path}`, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
  }

  let retryHint: number | undefined;

  async function sendSpans(): Promise<Outcome> {
    const batch = takeBatch();
    inFlight = batch.length;
    try {
      let response: Response;
      try {
        response = await post('/api/v1/traces', `{"spans":[${batch.join(',')}]}`);
      } catch (error) {
        requeue(batch);
        report(unreachable(options.baseUrl, 'trace export', error));
        return 'retry';
      }
      if (response.ok) {
        // The answer's body is not needed; a body already gone is fine.
        await response.body?.cancel().catch(() => {});
        stats.sent += batch.length;
        return 'sent';
      }
      const error = await httpError(response, 'POST /api/v1/traces', {
        code: 'ROUTE_NOT_FOUND',
        hint: ' Upgrade the Promptline server: this one has no trace ingestion.',
      });
      if (retryable(response.status)) {
        retryHint = retryAfterMs(response);
        requeue(batch);
        report(error);
        return 'retry';
      }
      if ((response.status === 422 || response.status === 413) && batch.length > 1) {
        const bad = response.status === 422 ? namedIndices(error, batch.length) : new Set<number>();
        if (bad.size > 0) {
          stats.dropped += bad.size;
          report(withDropped(error, bad.size, 'span'));
          requeue(batch.filter((_, i) => !bad.has(i)));
        } else {
          // The server did not say which span: try each half, down to the one it refuses.
          const half = Math.ceil(batch.length / 2);
          splits.unshift(batch.slice(0, half), batch.slice(half));
        }
        return 'sent';
      }
      stats.dropped += batch.length;
      report(withDropped(error, batch.length, 'span'));
      return 'sent';
    } finally {
      inFlight = 0;
    }
  }

  async function sendScore(): Promise<Outcome> {
    const score = scores.shift();
    if (score === undefined) return 'sent';
    let response: Response;
    try {
      response = await post('/api/v1/scores', score);
    } catch (error) {
      if (!scores.unshift(score)) stats.scoresDropped++;
      report(unreachable(options.baseUrl, 'score export', error));
      return 'retry';
    }
    if (response.ok) {
      // The answer's body is not needed; a body already gone is fine.
      await response.body?.cancel().catch(() => {});
      stats.scoresSent++;
      return 'sent';
    }
    const error = await httpError(response, 'POST /api/v1/scores', {
      code: 'ROUTE_NOT_FOUND',
      hint: ' Upgrade the Promptline server: this one does not take scores.',
    });
    if (retryable(response.status)) {
      retryHint = retryAfterMs(response);
      if (!scores.unshift(score)) stats.scoresDropped++;
      report(error);
      return 'retry';
    }
    stats.scoresDropped++;
    report(withDropped(error, 1, 'score'));
    return 'sent';
  }

  function scheduleRetry(delay: number): void {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void pump(), delay);
    unref(retryTimer);
  }

  function pending(): boolean {
    return splits.length > 0 || spans.size > 0 || scores.size > 0;
  }

  /** The one worker: sends until the queues are empty or an attempt must wait for its backoff. */
  function pump(): Promise<void> {
    if (running !== undefined) return running;
    if (!pending() || Date.now() < retryAt) return Promise.resolve();
    const work = async (): Promise<void> => {
      try {
        while (pending() && Date.now() >= retryAt) {
          // Spans first: a score may name a span that is still queued.
          const outcome = splits.length > 0 || spans.size > 0 ? await sendSpans() : await sendScore();
          if (outcome === 'retry') {
            // Retry-After is a floor: "0" must not turn into a request loop.
            const delay = Math.max(retryHint ?? 0, backoff.next());
            retryHint = undefined;
            retryAt = Date.now() + delay;
            scheduleRetry(delay);
            break;
          }
          backoff.reset();
          retryAt = 0;
        }
      } catch (error) {
        report(
          new AppError('INTERNAL', `Trace export failed unexpectedly: ${String(error)}`, { cause: error }),
        );
      }
    };
    // Cleared in a later turn, so a caller never sees a finished worker as running.
    running = work().finally(() => {
      running = undefined;
    });
    return running;
  }

  /** Waits for `promise` or `ms`, whichever is first; the timer is cleared either way. */
  function within(promise: Promise<void>, ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Referenced on purpose: flush() and close() are awaited, the process must wait for them.
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, ms));
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  async function flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (running !== undefined) await within(running, deadline - Date.now());
      if (running === undefined && !pending()) break;
      const now = Date.now();
      if (now >= deadline) break;
      if (running === undefined) {
        if (now < retryAt) await within(new Promise<void>(() => {}), Math.min(retryAt, deadline) - now);
        else void pump();
      }
    }
    reportOverflow();
    return running === undefined && !pending();
  }

  return {
    addSpan(json) {
      if (closed) {
        stats.dropped++;
        afterClose('span');
        return;
      }
      if (utf8Length(json) + BATCH_OVERHEAD > MAX_TRACE_BATCH_BYTES) {
        stats.dropped++;
        report(
          new AppError(
            'PAYLOAD_TOO_LARGE',
            `Dropped a span of ${utf8Length(json)} bytes: a batch may carry at most ${MAX_TRACE_BATCH_BYTES} bytes. Record less input/output on it.`,
            { details: { spans: 1 } },
          ),
        );
        return;
      }
      if (spans.size + inFlight >= spans.capacity && spans.size > 0) {
        spans.shift();
        dropSpans(1);
      }
      if (spans.push(json) !== undefined) dropSpans(1);
      ensureInterval();
      // Size trigger: a full batch leaves on the next turn, never inside the caller's call.
      if (spans.size >= maxBatch && running === undefined && kick === undefined && Date.now() >= retryAt) {
        kick = setTimeout(() => {
          kick = undefined;
          void pump();
        }, 0);
        unref(kick);
      }
    },
    addScore(json) {
      if (closed) {
        stats.scoresDropped++;
        afterClose('score');
        return;
      }
      if (scores.push(json) !== undefined) {
        stats.scoresDropped++;
        overflowScores++;
      }
      ensureInterval();
    },
    flush,
    async close(timeoutMs) {
      const done = await flush(timeoutMs);
      closed = true;
      clearInterval(interval);
      clearTimeout(retryTimer);
      clearTimeout(kick);
      const left = spans.size + splits.reduce((n, b) => n + b.length, 0);
      const leftScores = scores.size;
      if (left > 0 || leftScores > 0) {
        stats.dropped += left;
        stats.scoresDropped += leftScores;
        while (spans.shift() !== undefined);
        while (scores.shift() !== undefined);
        splits.length = 0;
        report(
          new AppError(
            'TELEMETRY_DROPPED',
            `close() gave up after ${timeoutMs} ms with ${left} span(s) and ${leftScores} score(s) unsent; they are dropped. Is the server reachable?`,
            { details: { spans: left, scores: leftScores, totalDropped: stats.dropped } },
          ),
        );
      }
      return done;
    },
    stats: () => ({
      queued: spans.size + inFlight + splits.reduce((n, b) => n + b.length, 0),
      sent: stats.sent,
      dropped: stats.dropped,
      scoresQueued: scores.size,
      scoresSent: stats.scoresSent,
      scoresDropped: stats.scoresDropped,
    }),
  };
}
