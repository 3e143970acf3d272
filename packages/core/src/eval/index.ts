/**
 * The browser-safe half of the evaluation engine: assertion types and grading, text metrics,
 * `{{var}}` rendering, run summaries, baseline comparison and thresholds. The runner (worker
 * threads, disk cache, HTTP) is in `@promptline/core/node`.
 */
export * from './assertions.ts';
export * from './compare.ts';
export * from './judge-prompts.ts';
export * from './render-vars.ts';
export * from './suite.ts';
export * from './summary.ts';
export * from './text-metrics.ts';
export * from './types.ts';
export * from './upload.ts';
