import {
  AppError,
  isAppError,
  MAX_OTLP_SPANS_PER_REQUEST,
  mapOtlpTraces,
  type OtlpTraces,
  partialSuccessMessage,
  type RejectedSpan,
  type SpanInput,
} from '@promptline/core';
import type { SpanMetrics } from '../prometheus/registry.ts';

/** What OTLP ingestion needs of the traces feature: its durable, all-or-nothing write. */
export interface SpanIngest {
  ingest(
    projectId: number,
    spans: SpanInput[],
    source: 'otel',
    options: { refusalsCountedByCaller: true },
  ): Promise<unknown>;
}

/** The outcome of one export request, as OTLP's partial success reports it. */
export interface OtlpExportOutcome {
  accepted: number;
  rejected: number;
  /** Empty when every span was kept whole. */
  message: string;
}

export type OtelService = ReturnType<typeof createOtelService>;

/** The indexes of the spans a SPAN_TOO_OLD problem names (`spans.<i>.startTime`). */
function tooOldIndexes(error: AppError): Set<number> {
  const indexes = new Set<number>();
  for (const issue of error.errors ?? []) {
    const match = /^spans\.(\d+)\./.exec(issue.path);
    if (match) indexes.add(Number(match[1]));
  }
  return indexes;
}

/**
 * OpenTelemetry ingestion: maps an export to spans and writes the ones that map through the traces
 * feature in one all-or-nothing write. Spans that cannot map, and spans older than the project's
 * retention, are reported as rejected (OTLP's partial success) instead of failing the rest.
 */
export function createOtelService({
  traces,
  metrics,
}: {
  traces: SpanIngest;
  /** Counts the spans this service refuses (/metrics); the traces service counts the ones written. */
  metrics?: Pick<SpanMetrics, 'rejected'> | undefined;
}) {
  const counted = { refusalsCountedByCaller: true } as const;
  return {
    /**
     * @throws AppError TRACE_BATCH_TOO_LARGE beyond {@link MAX_OTLP_SPANS_PER_REQUEST} spans.
     */
    async exportTraces(projectId: number, otlp: OtlpTraces): Promise<OtlpExportOutcome> {
      const total = otlp.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
      if (total > MAX_OTLP_SPANS_PER_REQUEST) {
        throw new AppError(
          'TRACE_BATCH_TOO_LARGE',
          `The export has ${total} spans; at most ${MAX_OTLP_SPANS_PER_REQUEST} are accepted in one request. Nothing was stored; lower the exporter's batch size (BatchSpanProcessor maxExportBatchSize).`,
          { details: { maxSpans: MAX_OTLP_SPANS_PER_REQUEST } },
        );
      }
      const mapped = mapOtlpTraces(otlp);
      let spans = mapped.spans;
      const rejected: RejectedSpan[] = [...mapped.rejected];
      try {
        if (spans.length > 0) await traces.ingest(projectId, spans, 'otel', counted);
      } catch (error) {
        if (!isAppError(error) || error.code !== 'SPAN_TOO_OLD') {
          // The whole export is refused (a span ends before it starts): every span, mapped or not.
          if (isAppError(error) && error.code === 'VALIDATION_FAILED')
            metrics?.rejected('otel', 'invalid', total);
          throw error;
        }
        // Retention refuses the whole batch; OTLP expects the other spans kept: write them alone.
        const old = tooOldIndexes(error);
        for (const i of old) {
          const span = spans[i];
          if (span)
            rejected.push({
              traceId: span.traceId,
              spanId: span.spanId,
              reason: "older than the project's span retention",
            });
        }
        spans = spans.filter((_, i) => !old.has(i));
        metrics?.rejected('otel', 'too_old', old.size);
        if (spans.length > 0) await traces.ingest(projectId, spans, 'otel', counted);
      }
      if (mapped.rejected.length > 0) metrics?.rejected('otel', 'unmappable', mapped.rejected.length);
      return {
        accepted: spans.length,
        rejected: rejected.length,
        message: partialSuccessMessage({ rejected, trimmedAttributes: mapped.trimmedAttributes }),
      };
    },
  };
}
