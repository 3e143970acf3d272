/** Traces: the span model, scores, the limits of ingestion, reading traces back, the metrics read from rollups, and OpenTelemetry's mapping. */

export * from './fast-check.ts';
export * from './histogram.ts';
export * from './metrics.ts';
export * from './otel/index.ts';
export * from './reading.ts';
export * from './schemas.ts';
export * from './to-dataset.ts';
