/** Traces: the span model, scores and the limits of ingestion. */
export * from './schemas.ts';
