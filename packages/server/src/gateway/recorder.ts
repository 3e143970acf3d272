import { acceptSpanInput, SpanInput } from '@promptline/core';
import type { FastifyBaseLogger } from 'fastify';

/** Where recorded spans go: the trace service's ingestion (source `gateway`). */
export interface SpanIngest {
  ingest(projectId: number, spans: SpanInput[], source: 'gateway'): Promise<unknown>;
}

export interface RecorderStats {
  /** Spans handed to `record`. */
  recorded: number;
  /** Spans the ingestion acknowledged. */
  written: number;
  /** Spans dropped because the buffer was full (the oldest go first). */
  dropped: number;
  /** Spans lost to failed writes (after one retry) or refused as invalid. */
  failed: number;
  /** Spans waiting. */
  buffered: number;
}

export interface SpanRecorder {
  /** Queues a span; never waits, never throws. */
  record(projectId: number, span: SpanInput): void;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
  stats(): RecorderStats;
}

export interface SpanRecorderOptions {
  ingest: SpanIngest;
  logger: Pick<FastifyBaseLogger, 'error' | 'warn'>;
  /** A batch is written when this many spans wait (default 50), at most this many per write. */
  batchSize?: number;
  /** …or this long after the first of them was queued (default 200 ms). */
  intervalMs?: number;
  /** Most spans held; beyond it the oldest are dropped and counted (default 10 000). */
  maxBuffered?: number;
}

interface Queued {
  projectId: number;
  span: SpanInput;
  attempts: number;
}

/**
 * Records gateway spans off the request path: `record()` only appends to a bounded buffer; a timer
 * (or a full batch) writes them through the trace service in batches per project. A failed write is
 * retried once with the next batch, then counted as failed and logged — a recording problem never
 * reaches a gateway response, and is never silent.
 */
export function createSpanRecorder(options: SpanRecorderOptions): SpanRecorder {
  const batchSize = options.batchSize ?? 50;
  const intervalMs = options.intervalMs ?? 200;
  const maxBuffered = options.maxBuffered ?? 10_000;
  const { logger } = options;
  let buffer: Queued[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  /** Whether the running drain wrote a batch already (the next one waits for the loop to turn). */
  let wroteThisRound = false;
  let lastDropLog = 0;
  const stats = { recorded: 0, written: 0, dropped: 0, failed: 0 };

  function schedule(now: boolean): void {
    if (now) {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      void drain();
      return;
    }
    if (timer !== undefined || running !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void drain();
    }, intervalMs);
    timer.unref();
  }

  /** One writer at a time; spans queued meanwhile wait for the next round. */
  function drain(): Promise<void> {
    running ??= (async () => {
      wroteThisRound = false;
      try {
        while (buffer.length > 0) {
          const taken = buffer;
          buffer = [];
          await writeAll(taken);
        }
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  async function writeAll(queued: Queued[]): Promise<void> {
    const byProject = new Map<number, Queued[]>();
    for (const item of queued) {
      const list = byProject.get(item.projectId);
      if (list) list.push(item);
      else byProject.set(item.projectId, [item]);
    }
    for (const [projectId, items] of byProject) {
      for (let i = 0; i < items.length; i += batchSize) {
        // On SQLite a batch is written synchronously (node:sqlite), holding the event loop: between
        // batches the loop turns, so gateway requests waiting meanwhile are answered first and one
        // flush never delays them by more than one batch's write.
        if (wroteThisRound) await new Promise<void>((resolve) => setImmediate(resolve));
        wroteThisRound = true;
        await writeBatch(projectId, items.slice(i, i + batchSize));
      }
    }
  }

  async function writeBatch(projectId: number, items: Queued[]): Promise<void> {
    // One invalid span would fail the whole batch at ingestion: check each here and drop it alone.
    const valid: Queued[] = [];
    for (const item of items) {
      // The fast acceptance check answers zod's value for the spans the gateway builds (zod's own
      // parse cost ~8× the request's body validation); anything it is unsure of goes to zod.
      const accepted = acceptSpanInput(item.span);
      if (accepted !== undefined) {
        valid.push({ ...item, span: accepted });
        continue;
      }
      const parsed = SpanInput.safeParse(item.span);
      if (parsed.success) valid.push({ ...item, span: parsed.data });
      else {
        stats.failed++;
        logger.error(
          { issues: parsed.error.issues.slice(0, 3), spanId: item.span.spanId },
          'gateway: a span was refused as invalid and not recorded',
        );
      }
    }
    if (valid.length === 0) return;
    try {
      await options.ingest.ingest(
        projectId,
        valid.map((item) => item.span),
        'gateway',
      );
      stats.written += valid.length;
    } catch (error) {
      const retry = valid.filter((item) => item.attempts === 0);
      stats.failed += valid.length - retry.length;
      logger.error(
        { err: error, spans: valid.length, retrying: retry.length },
        'gateway: recording spans failed',
      );
      if (retry.length > 0) {
        for (const item of retry) item.attempts++;
        buffer.unshift(...retry);
        trim();
      }
    }
  }

  function trim(): void {
    const over = buffer.length - maxBuffered;
    if (over <= 0) return;
    buffer.splice(0, over);
    stats.dropped += over;
    const now = Date.now();
    if (now - lastDropLog > 10_000) {
      lastDropLog = now;
      logger.warn(
        { dropped: stats.dropped, maxBuffered },
        'gateway: span buffer full, dropping the oldest spans (is the database keeping up?)',
      );
    }
  }

  return {
    record(projectId, span) {
      stats.recorded++;
      buffer.push({ projectId, span, attempts: 0 });
      trim();
      schedule(buffer.length >= batchSize && running === undefined);
    },
    async flush() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      // A round already running may have started before the latest spans arrived.
      await running;
      await drain();
      // Spans re-queued by a failed write get their one retry now.
      if (buffer.length > 0) await drain();
    },
    async close() {
      await this.flush();
    },
    stats: () => ({ ...stats, buffered: buffer.length }),
  };
}
