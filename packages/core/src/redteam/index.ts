/**
 * Offline red teaming: plugins and strategies shipped as data, probes, deterministic detectors,
 * an optional LLM judge, the run and its report. Pure: the target is a function, so it runs in
 * Node, a browser or the server alike.
 */
export * from './attacker.ts';
export * from './detect.ts';
export * from './format.ts';
export * from './generate.ts';
export * from './grade.ts';
export * from './judge.ts';
export * from './owasp.ts';
export * from './phrases.ts';
export * from './plugins.ts';
export * from './report.ts';
export * from './run.ts';
export * from './send.ts';
export * from './strategies.ts';
export * from './target.ts';
export * from './types.ts';
