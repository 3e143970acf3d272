/** The OTLP/HTTP endpoint's limits and its answer in the JSON encoding. */
import { z } from 'zod';

/** Largest OTLP/HTTP body as sent (compressed or not), like a native batch. */
export const MAX_OTLP_BODY_BYTES = 5 * 1024 * 1024;
/** Most spans in one export request (an SDK's BatchSpanProcessor sends 512 by default). */
export const MAX_OTLP_SPANS_PER_REQUEST = 10_000;
/** Largest body after gzip decompression: a bound on what a small compressed body may expand to. */
export const MAX_OTLP_DECODED_BYTES = 20 * 1024 * 1024;

/**
 * ExportTraceServiceResponse in the JSON encoding: `partialSuccess` is present only when spans
 * were rejected (`rejectedSpans` > 0) or something was trimmed (`rejectedSpans` "0" with a
 * message). 64-bit integers are decimal strings, as OTLP/JSON writes them.
 */
export const OtlpExportResponse = z.object({
  partialSuccess: z
    .object({
      rejectedSpans: z.string().regex(/^\d+$/),
      errorMessage: z.string(),
    })
    .optional(),
});
export type OtlpExportResponse = z.infer<typeof OtlpExportResponse>;
