/** Traces: the span model, scores, the limits of ingestion, and the metrics read from rollups. */
export * from './histogram.ts';
export * from './metrics.ts';
export * from './schemas.ts';
