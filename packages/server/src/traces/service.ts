import { AppError, type FieldIssue, type PriceBook, type SpanInput, spanTimeMs } from '@promptline/core';
import { type Clock, isoNow } from '../clock.ts';
import type { Database } from '../db/database.ts';
import {
  type PreparedSpan,
  recorded,
  type SpanSource,
  spanRow,
  traceSummaries,
  writtenSpans,
} from './rows.ts';
import type { TraceSink } from './sink.ts';
import { createSpanStore, createTraceSettingsStore } from './store.ts';

/** Spans are kept this many days unless the project says otherwise. */
export const DEFAULT_SPAN_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

export interface TraceServiceOptions {
  database: Database;
  clock: Clock;
  /** Told about every written span and score, inside the writing transaction. */
  sink: TraceSink;
  /** The project's price book, for spans that carry usage but no cost. */
  prices: (projectId: number) => Promise<PriceBook>;
}

/**
 * Traces: ingestion from every way in (native API, OpenTelemetry, gateway, SDK), reading back,
 * scores and retention. A batch is written in one transaction with the sink's aggregates: it is
 * all there, counted once, or not at all.
 */
export function createTraceService({ database, clock, sink, prices }: TraceServiceOptions) {
  const store = createSpanStore();
  const settings = createTraceSettingsStore();

  async function retentionDays(projectId: number): Promise<number> {
    return (await settings.spanRetentionDays(database.db, projectId)) ?? DEFAULT_SPAN_RETENTION_DAYS;
  }

  /** Times as numbers, checked, and the cost of every span settled. */
  async function prepare(projectId: number, spans: readonly SpanInput[]): Promise<PreparedSpan[]> {
    const invalid: FieldIssue[] = [];
    const prepared: PreparedSpan[] = [];
    let book: PriceBook | undefined;
    for (const [i, span] of spans.entries()) {
      const startMs = spanTimeMs(span.startTime);
      const endMs = spanTimeMs(span.endTime);
      if (endMs < startMs) invalid.push({ path: `spans.${i}.endTime`, message: 'is before startTime' });
      let costUsd: number | null = span.costUsd ?? null;
      let costComputed = false;
      if (costUsd === null && span.model !== undefined && span.usage !== undefined) {
        book ??= await prices(projectId);
        // Without a provider any vendor's price for the model name applies (see createPriceBook).
        const cost = book.cost(span.provider ?? 'unknown', span.model, {
          inputTokens: span.usage.input,
          outputTokens: span.usage.output,
          cachedInputTokens: span.usage.cachedInput ?? 0,
          estimated: span.usage.estimated ?? false,
        });
        if (cost !== null) {
          costUsd = cost.totalUsd;
          costComputed = true;
        }
      }
      prepared.push({ span, startMs, endMs, costUsd, costComputed });
    }
    if (invalid.length > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        `The batch is invalid: ${invalid.map((x) => `${x.path}: ${x.message}`).join('; ')}. Nothing was stored; fix these spans and resend the batch.`,
        { errors: invalid },
      );
    }
    const days = await retentionDays(projectId);
    const oldest = clock.now().getTime() - days * DAY_MS;
    const tooOld = prepared.flatMap((p, i) =>
      p.startMs < oldest ? [{ path: `spans.${i}.startTime`, message: `is older than ${days} days` }] : [],
    );
    if (tooOld.length > 0) {
      throw new AppError(
        'SPAN_TOO_OLD',
        `${tooOld.length} span(s) started before ${new Date(oldest).toISOString()}, beyond the project's span retention of ${days} days. Nothing was stored; drop those spans and resend the batch.`,
        { errors: tooOld, details: { retentionDays: days, oldestAccepted: new Date(oldest).toISOString() } },
      );
    }
    return prepared;
  }

  return {
    /**
     * Stores a validated batch (all or nothing, one transaction) and resolves once it is durable.
     * A span already stored (same trace id, span id and start) is skipped, so a sender's retry
     * neither fails nor counts twice; `accepted` counts every span of the batch.
     *
     * @throws AppError VALIDATION_FAILED (a span ends before it starts), SPAN_TOO_OLD (beyond retention).
     */
    async ingest(projectId: number, spans: SpanInput[], source: SpanSource): Promise<{ accepted: number }> {
      if (spans.length === 0) return { accepted: 0 };
      const prepared = await prepare(projectId, spans);
      const receivedAt = isoNow(clock);
      const rows = prepared.map((p) => spanRow(projectId, p, source, receivedAt));
      await database.db.transaction().execute(async (trx) => {
        const inserted = await store.insertSpans(trx, rows);
        const written = writtenSpans(prepared, inserted);
        if (written.length === 0) return;
        await store.mergeTraces(trx, traceSummaries(projectId, written));
        await sink.spansWritten(
          trx,
          written.map((p) => recorded(projectId, p)),
        );
      });
      return { accepted: spans.length };
    },
  };
}

export type TraceService = ReturnType<typeof createTraceService>;
