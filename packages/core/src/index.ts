/**
 * @promptline/core — the domain of Promptline with no database and no HTTP server: schemas,
 * errors, templates, semver rules, diff, bucketing, hashing, providers and assertions.
 * Everything exported here runs in Node, browsers and edge runtimes; Node-only parts (the eval
 * runner's worker threads, secret encryption) live in `@promptline/core/node`.
 */

export * from './alerts.ts';
export * from './annotation.ts';
export * from './audit-chain.ts';
export * from './audit-seal.ts';
export * from './bucketing.ts';
export * from './canonical.ts';
export * from './contract/index.ts';
export * from './diff.ts';
export * from './diff-view.ts';
export * from './errors.ts';
export * from './eval/index.ts';
export * from './eval-run-stored.ts';
export * from './experiments.ts';
export * from './gateway/index.ts';
export * from './identity.ts';
export * from './jobs.ts';
export * from './langfuse.ts';
export * from './markup.ts';
export * from './merge/index.ts';
export * from './online-evals.ts';
export * from './policy.ts';
export * from './portability.ts';
export * from './pricing/index.ts';
export * from './privacy.ts';
export * from './prompt-file/index.ts';
export * from './providers/index.ts';
export * from './redteam/index.ts';
export * from './redteam-runs.ts';
export * from './release.ts';
export * from './replays.ts';
export * from './rollouts.ts';
export * from './schemas.ts';
export * from './security-events.ts';
export * from './semver.ts';
export * from './sse.ts';
export * from './stats/index.ts';
export * from './targeting.ts';
export * from './targeting-schema.ts';
export * from './template/index.ts';
export * from './traces/index.ts';
export * from './webhooks.ts';
