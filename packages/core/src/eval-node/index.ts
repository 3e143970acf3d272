/**
 * The Node-only half of the evaluation engine: the runner (matrix, concurrency, rate limits,
 * cancellation, streaming sinks), the evaluator sandboxes (worker threads, python3 processes), the on-disk response
 * cache, JSON Schema validation (ajv), provider specs and baselines. Re-exports the browser-safe
 * half so Node callers need one import.
 */
export * from '../eval/index.ts';
export * from './baseline.ts';
export * from './cache.ts';
export * from './code-runner.ts';
export * from './http-transport.ts';
export * from './json-schema.ts';
export * from './provider-spec.ts';
export * from './python-runner.ts';
export * from './runner.ts';
