/** OpenTelemetry (OTLP) trace data: the decoded shape, the JSON encoding's reader and the mapping to spans. */
export {
  type MappedSpan,
  type MappedTraces,
  mapOtlpSpan,
  mapOtlpTraces,
  partialSuccessMessage,
  type RejectedSpan,
} from './map.ts';
export * from './model.ts';
export * from './schemas.ts';
