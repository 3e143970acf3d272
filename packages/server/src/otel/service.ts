import { mapOtlpTraces, type OtlpTraces, partialSuccessMessage, type SpanInput } from '@promptline/core';

/** What OTLP ingestion needs of the traces feature: its durable, all-or-nothing write. */
export interface SpanIngest {
  ingest(projectId: number, spans: SpanInput[], source: 'otel'): Promise<unknown>;
}

/** The outcome of one export request, as OTLP's partial success reports it. */
export interface OtlpExportOutcome {
  accepted: number;
  rejected: number;
  /** Empty when every span was kept whole. */
  message: string;
}

export type OtelService = ReturnType<typeof createOtelService>;

/**
 * OpenTelemetry ingestion: maps an export to spans and writes the ones that map through the traces
 * feature, in one all-or-nothing write; the spans that cannot map are reported, not written.
 */
export function createOtelService({ traces }: { traces: SpanIngest }) {
  return {
    async exportTraces(projectId: number, otlp: OtlpTraces): Promise<OtlpExportOutcome> {
      const mapped = mapOtlpTraces(otlp);
      if (mapped.spans.length > 0) await traces.ingest(projectId, mapped.spans, 'otel');
      return {
        accepted: mapped.spans.length,
        rejected: mapped.rejected.length,
        message: partialSuccessMessage(mapped),
      };
    },
  };
}
