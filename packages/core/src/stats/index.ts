export * from './bayes.ts';
export * from './cuped.ts';
export * from './guardrail.ts';
export * from './rollout.ts';
export * from './sequential.ts';
export * from './simulate.ts';
export * from './special.ts';
export * from './srm.ts';
